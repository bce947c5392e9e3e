import { Alert, Button, Group, Popover, SegmentedControl, Stack, Text, TextInput } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { errorMessage } from '../../api/http-client.ts';
import { checkRegistration, type CheckResult, type Transport } from './projects.api.ts';
import { SipStatusBadge } from './status-badge.tsx';

// The last registrar a person checked against, so the next row of the same import starts from it.
let lastChoice: { mode: 'dns' | 'proxy'; proxy: string; transport: Transport } = {
  mode: 'dns',
  proxy: '',
  transport: 'udp',
};

/**
 * Verify registration for one entry (an updated row of the Import results dialog): registers it now
 * with its new password, unregisters again, and shows the registrar's answer under the button.
 */
export function VerifyRegistrationButton({ entryId, username }: { entryId: number; username?: string }) {
  const [opened, setOpened] = useState(false);
  const [choice, setChoice] = useState(lastChoice);
  const [result, setResult] = useState<CheckResult | null>(null);
  const modeLabel = useId();
  const transportLabel = useId();
  const check = useMutation({
    mutationFn: () =>
      checkRegistration({
        entry_id: entryId,
        transport: choice.transport,
        ...(choice.mode === 'proxy' && { proxy: choice.proxy.trim() }),
      }),
    onSuccess: (answer) => {
      lastChoice = choice;
      setResult(answer);
      setOpened(false);
    },
  });
  const who = username ? ` of ${username}` : '';

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!check.isPending) check.mutate();
  }

  return (
    <Stack gap={4} mt={4} align="flex-start">
      <Popover
        opened={opened}
        onChange={setOpened}
        trapFocus
        returnFocus
        withArrow
        shadow="md"
        position="bottom-start"
        closeOnEscape
      >
        <Popover.Target>
          <Button
            size="compact-xs"
            variant="light"
            onClick={() => {
              setChoice(lastChoice);
              check.reset();
              setOpened((o) => !o);
            }}
            aria-label={`Verify registration${who}`}
            aria-haspopup="dialog"
          >
            Verify registration
          </Button>
        </Popover.Target>
        <Popover.Dropdown role="dialog" aria-label={`Verify registration${who}`} maw={360}>
          <form onSubmit={submit} noValidate>
            <Stack gap="sm">
              <Text size="sm">Registers this entry now with its new password, then unregisters it again.</Text>
              <Stack gap={4}>
                <Text size="sm" fw={500} id={modeLabel}>
                  Registrar
                </Text>
                <SegmentedControl
                  aria-labelledby={modeLabel}
                  size="xs"
                  value={choice.mode}
                  onChange={(mode) => setChoice({ ...choice, mode: mode as 'dns' | 'proxy' })}
                  data={[
                    { value: 'dns', label: 'Entry’s domain (DNS)' },
                    { value: 'proxy', label: 'Proxy' },
                  ]}
                />
              </Stack>
              {choice.mode === 'proxy' && (
                <TextInput
                  size="xs"
                  label="Proxy"
                  description="host:port"
                  value={choice.proxy}
                  onChange={(e) => setChoice({ ...choice, proxy: e.currentTarget.value })}
                  autoComplete="off"
                  spellCheck={false}
                  data-autofocus
                />
              )}
              <Stack gap={4}>
                <Text size="sm" fw={500} id={transportLabel}>
                  Transport
                </Text>
                <SegmentedControl
                  aria-labelledby={transportLabel}
                  size="xs"
                  value={choice.transport}
                  onChange={(transport) => setChoice({ ...choice, transport: transport as Transport })}
                  data={[
                    { value: 'udp', label: 'UDP' },
                    { value: 'tcp', label: 'TCP' },
                  ]}
                  w="fit-content"
                />
              </Stack>
              {check.isError && (
                <Alert color="red" role="alert" p="xs">
                  {errorMessage(check.error)}
                </Alert>
              )}
              <Group justify="flex-end" gap="xs">
                <Button size="xs" variant="default" onClick={() => setOpened(false)} disabled={check.isPending}>
                  Cancel
                </Button>
                <Button size="xs" type="submit" loading={check.isPending}>
                  Verify
                </Button>
              </Group>
            </Stack>
          </form>
        </Popover.Dropdown>
      </Popover>
      {result && (
        <Group gap={6} wrap="nowrap" align="flex-start" role="status" aria-label={`Registration check${who}`}>
          <SipStatusBadge code={result.status_code} reason={result.reason} />
          <Text size="xs" c="dimmed">
            {result.message} ({result.duration_ms} ms)
          </Text>
        </Group>
      )}
    </Stack>
  );
}
