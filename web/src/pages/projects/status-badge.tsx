import { Badge, Loader } from '@mantine/core';
import { isSuccess, type Run } from './projects.api.ts';

/** A SIP final status at a glance: green for 2xx, red for a refusal, gray when nothing answered. */
export function SipStatusBadge({ code, reason }: { code: number | null; reason: string }) {
  const color = code === null ? 'gray' : isSuccess(code) ? 'green' : 'red';
  return (
    <Badge color={color} variant="light" tt="none" radius="sm" style={{ flexShrink: 0, minWidth: 'max-content' }}>
      {code === null ? reason || 'No answer' : `${code} ${reason}`.trim()}
    </Badge>
  );
}

/** Where a run stands: running, all registered, some refused, or stopped. */
export function RunStatusBadge({ run }: { run: Run }) {
  if (run.status === 'running') {
    return (
      <Badge
        color="blue"
        variant="light"
        tt="none"
        radius="sm"
        style={{ minWidth: 'max-content' }}
        leftSection={<Loader size={10} color="blue" />}
      >
        Running
      </Badge>
    );
  }
  if (run.status === 'failed') {
    return (
      <Badge color="orange" variant="light" tt="none" radius="sm" style={{ minWidth: 'max-content' }}>
        Stopped
      </Badge>
    );
  }
  return run.failed === 0 ? (
    <Badge color="green" variant="light" tt="none" radius="sm" style={{ minWidth: 'max-content' }}>
      All registered
    </Badge>
  ) : (
    <Badge color="red" variant="light" tt="none" radius="sm" style={{ minWidth: 'max-content' }}>
      {run.failed} of {run.total} failed
    </Badge>
  );
}
