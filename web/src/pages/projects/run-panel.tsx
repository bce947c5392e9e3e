import { Alert, Button, Group, Paper, Progress, Skeleton, Stack, Table, Text, Title } from '@mantine/core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { errorMessage } from '../../api/http-client.ts';
import { Pager } from '../../ui/pager.tsx';
import {
  describeRegistrar,
  fetchRun,
  fetchRuns,
  formatDate,
  plural,
  projectKeys,
  type Run,
  type RunWithResults,
} from './projects.api.ts';
import { RunStatusBadge, SipStatusBadge } from './status-badge.tsx';

const POLL_MS = 1000;

/** One run: its progress and each entry's result, polled while it runs. */
export function RunPanel({
  runId,
  onFinished,
  scrollIntoView,
}: {
  runId: number;
  onFinished: () => void;
  /** Bring the panel into view (a run was just started below the fold). */
  scrollIntoView?: boolean;
}) {
  const panel = useRef<HTMLElement>(null);
  useEffect(() => {
    if (scrollIntoView) panel.current?.scrollIntoView({ block: 'start' });
  }, [scrollIntoView, runId]);
  const run = useQuery({
    queryKey: projectKeys.run(runId),
    queryFn: () => fetchRun(runId),
    refetchInterval: (query) => (query.state.data?.status === 'running' ? POLL_MS : false),
  });

  // When a run ends, the lists that show it (earlier runs, the test's last run) are refreshed once.
  const status = run.data?.status;
  const wasRunning = useRef(false);
  useEffect(() => {
    if (status === 'running') wasRunning.current = true;
    else if (status && wasRunning.current) {
      wasRunning.current = false;
      onFinished();
    }
  }, [status]);

  return (
    <Paper withBorder p="md" component="section" aria-labelledby="run-title" ref={panel}>
      <Stack gap="md">
        {run.isPending && <Skeleton h={120} />}
        {run.isError && (
          <Alert color="red" role="alert" title="Could not load the run">
            {errorMessage(run.error)}
          </Alert>
        )}
        {run.data && <RunView run={run.data} />}
      </Stack>
    </Paper>
  );
}

function RunView({ run }: { run: RunWithResults }) {
  const percent = run.total > 0 ? Math.round((run.done / run.total) * 100) : 100;
  const share = (n: number) => (run.total > 0 ? (n / run.total) * 100 : 0);
  const running = run.status === 'running';
  const s = run.settings;
  const progress =
    run.status === 'running'
      ? `Checked ${run.done} of ${plural(run.total, 'entry', 'entries')}…`
      : `Checked ${run.done} of ${plural(run.total, 'entry', 'entries')}: ${run.passed} registered, ${run.failed} failed.`;
  return (
    <>
      <Group justify="space-between" align="flex-start">
        <Stack gap={2}>
          <Title order={3} size="h4" id="run-title">
            Run #{run.id}
          </Title>
          <Text size="sm" c="dimmed">
            Started {formatDate(run.created_at)} by {run.created_by}
            {run.finished_at ? ` · finished ${formatDate(run.finished_at)}` : ''}
          </Text>
          <Text size="sm" c="dimmed">
            {s.credential_set_name ?? 'Credential set'} · {describeRegistrar(s.registrar)} ·{' '}
            {(s.transport ?? '').toUpperCase()}
          </Text>
        </Stack>
        <RunStatusBadge run={run} />
      </Group>
      <Stack gap={4}>
        {/* Green for the entries that registered, red for those that did not, gray still to come. */}
        <Progress.Root
          size="md"
          aria-label="Run progress"
          role="progressbar"
          aria-valuenow={percent}
          aria-valuemin={0}
          aria-valuemax={100}
        >
          <Progress.Section value={share(run.passed)} color="green" animated={running} striped={running} />
          <Progress.Section value={share(run.failed)} color="red" animated={running} striped={running} />
        </Progress.Root>
        <Text size="sm" c="dimmed" role="status" aria-live="polite">
          {progress}
        </Text>
      </Stack>
      {run.error && (
        <Alert color="orange" role="alert" title="The run stopped">
          {run.error}
        </Alert>
      )}
      <Table.ScrollContainer minWidth={760}>
        <Table aria-label="Run results" verticalSpacing="xs">
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">#</Table.Th>
              <Table.Th scope="col">Username</Table.Th>
              <Table.Th scope="col">Domain</Table.Th>
              <Table.Th scope="col">Status</Table.Th>
              <Table.Th scope="col" ta="right">
                Time
              </Table.Th>
              <Table.Th scope="col">What it means</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {run.results.map((r) => (
              <Table.Tr key={r.position}>
                <Table.Td c="dimmed">{r.position}</Table.Td>
                <Table.Td>{r.username}</Table.Td>
                <Table.Td>{r.domain}</Table.Td>
                <Table.Td>
                  <SipStatusBadge code={r.status_code} reason={r.reason} />
                </Table.Td>
                <Table.Td ta="right" style={{ whiteSpace: 'nowrap' }}>
                  {r.duration_ms} ms
                </Table.Td>
                <Table.Td>{r.message}</Table.Td>
              </Table.Tr>
            ))}
            {run.results.length < run.total && (
              <Table.Tr>
                <Table.Td colSpan={6}>
                  <Text size="sm" c="dimmed">
                    {run.status === 'running'
                      ? `${plural(run.total - run.results.length, 'entry', 'entries')} still registering…`
                      : `${plural(run.total - run.results.length, 'entry', 'entries')} not checked.`}
                  </Text>
                </Table.Td>
              </Table.Tr>
            )}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </>
  );
}

/** Earlier runs of a test, newest first; choosing one shows its results above. */
export function EarlierRuns({
  testId,
  selectedRunId,
  onSelect,
}: {
  testId: number;
  selectedRunId: number | null;
  onSelect: (id: number) => void;
}) {
  const [page, setPage] = useState(1);
  const runs = useQuery({
    queryKey: projectKeys.runs(testId, page),
    queryFn: () => fetchRuns(testId, page),
    placeholderData: keepPreviousData,
    refetchInterval: (query) => (query.state.data?.items.some((r) => r.status === 'running') ? POLL_MS : false),
  });
  const data = runs.data;
  if (!data || data.total === 0) return null;
  return (
    <Stack gap="sm" component="section" aria-labelledby="earlier-runs-title">
      <Title order={3} size="h4" id="earlier-runs-title">
        Runs of this test
      </Title>
      {runs.isError && (
        <Alert color="red" role="alert" title="Could not load the runs">
          {errorMessage(runs.error)}
        </Alert>
      )}
      <Table.ScrollContainer minWidth={640}>
        <Table aria-label="Runs of this test" highlightOnHover verticalSpacing="xs">
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Run</Table.Th>
              <Table.Th scope="col">Started</Table.Th>
              <Table.Th scope="col">By</Table.Th>
              <Table.Th scope="col">Result</Table.Th>
              <Table.Th scope="col" ta="right">
                Registered
              </Table.Th>
              <Table.Th scope="col" />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {data.items.map((r: Run) => {
              const selected = r.id === selectedRunId;
              return (
                <Table.Tr key={r.id} bg={selected ? 'indigo.0' : undefined} aria-current={selected || undefined}>
                  <Table.Td>#{r.id}</Table.Td>
                  <Table.Td>{formatDate(r.created_at)}</Table.Td>
                  <Table.Td c="dimmed">{r.created_by}</Table.Td>
                  <Table.Td>
                    <RunStatusBadge run={r} />
                  </Table.Td>
                  <Table.Td ta="right">
                    {r.passed} of {r.total}
                  </Table.Td>
                  <Table.Td ta="right">
                    <Button
                      size="xs"
                      variant="subtle"
                      disabled={selected}
                      onClick={() => onSelect(r.id)}
                      aria-label={`Show run #${r.id}`}
                    >
                      {selected ? 'Shown' : 'Show'}
                    </Button>
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <Group justify="flex-end">
        <Pager
          label="Run pages"
          total={Math.max(1, Math.ceil(data.total / data.page_size))}
          value={page}
          onChange={setPage}
        />
      </Group>
    </Stack>
  );
}
