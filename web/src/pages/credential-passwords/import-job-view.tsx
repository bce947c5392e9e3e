import { Alert, Group, List, Paper, Progress, ScrollArea, Stack, Switch, Table, Text } from '@mantine/core';
import { useMemo, useState } from 'react';
import { Pager } from '../../ui/pager.tsx';
import { VerifyRegistrationButton } from '../projects/verify-registration-button.tsx';
import { ACTION_COLORS, ActionBadge } from './action-badge.tsx';
import { isFinished, type ImportAction, type ImportJob } from './credential-passwords.api.ts';

const ROWS_PER_PAGE = 50;

const COUNT_LABELS: Record<'import' | 'check', Record<ImportAction, string>> = {
  import: { updated: 'Updated', created: 'Created', failed: 'Failed' },
  check: { updated: 'Would update', created: 'Would create', failed: 'Would fail' },
};

/** Progress, counts and the per-row table of an import job or of a check (dry run). */
export function ImportJobView({ job, mode }: { job: ImportJob; mode: 'import' | 'check' }) {
  const [onlyFailed, setOnlyFailed] = useState(false);
  const [page, setPage] = useState(1);
  const finished = isFinished(job);
  const rows = useMemo(
    () => (onlyFailed ? job.rows.filter((row) => row.action === 'failed') : job.rows),
    [job.rows, onlyFailed],
  );
  const pages = Math.max(1, Math.ceil(rows.length / ROWS_PER_PAGE));
  const currentPage = Math.min(page, pages);
  const visible = rows.slice((currentPage - 1) * ROWS_PER_PAGE, currentPage * ROWS_PER_PAGE);

  return (
    <Stack gap="md">
      <JobProgress job={job} mode={mode} />

      {job.status === 'failed' && (
        <Alert color="red" role="alert" title={mode === 'check' ? 'The check stopped' : 'The import stopped'}>
          {job.error ?? 'The job broke off.'} Nothing of it was applied.
        </Alert>
      )}

      {finished && job.status === 'succeeded' && (
        <>
          <Group gap="sm" aria-label="Counts" role="group">
            {(['updated', 'created', 'failed'] as const).map((action) => (
              <Paper key={action} withBorder px="md" py="xs" miw={120}>
                <Text size="xs" c="dimmed">
                  {COUNT_LABELS[mode][action]}
                </Text>
                <Text fw={700} size="xl" c={job.counts[action] > 0 ? `${ACTION_COLORS[action]}.8` : undefined}>
                  {job.counts[action]}
                </Text>
              </Paper>
            ))}
            <Paper withBorder px="md" py="xs" miw={120}>
              <Text size="xs" c="dimmed">
                Rows in file
              </Text>
              <Text fw={700} size="xl">
                {job.total_rows}
              </Text>
            </Paper>
          </Group>

          <Switch
            label="Show only failed rows"
            checked={onlyFailed}
            onChange={(event) => {
              setOnlyFailed(event.currentTarget.checked);
              setPage(1);
            }}
          />

          {/* The rows scroll inside the dialog, so its buttons stay in reach however long the file. */}
          <ScrollArea.Autosize mah="45vh" type="auto" offsetScrollbars>
            <Table
              stickyHeader
              miw={640}
              verticalSpacing="xs"
              aria-label={mode === 'check' ? 'Check result' : 'Import results'}
            >
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">Row</Table.Th>
                  <Table.Th scope="col" miw={96}>
                    Action
                  </Table.Th>
                  <Table.Th scope="col">Username</Table.Th>
                  <Table.Th scope="col">Set / entry</Table.Th>
                  <Table.Th scope="col">Message</Table.Th>
                  <Table.Th scope="col">Warnings</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {visible.map((row) => (
                  <Table.Tr key={row.row} bg={row.action === 'failed' ? 'red.0' : undefined}>
                    <Table.Td>{row.row}</Table.Td>
                    <Table.Td>
                      <ActionBadge action={row.action} />
                    </Table.Td>
                    <Table.Td>{row.username}</Table.Td>
                    <Table.Td c="dimmed">
                      {row.multi_credential_pool_id ?? '–'} / {row.entry_id ?? '–'}
                    </Table.Td>
                    <Table.Td c={row.action === 'failed' ? 'red.9' : undefined}>
                      {row.message}
                      {mode === 'import' && row.action === 'updated' && row.entry_id !== null && (
                        <VerifyRegistrationButton entryId={row.entry_id} username={row.username} />
                      )}
                    </Table.Td>
                    <Table.Td>
                      {row.warnings.length > 0 && (
                        <List size="sm" c="yellow.9">
                          {row.warnings.map((warning, index) => (
                            <List.Item key={index}>{warning}</List.Item>
                          ))}
                        </List>
                      )}
                    </Table.Td>
                  </Table.Tr>
                ))}
                {visible.length === 0 && (
                  <Table.Tr>
                    <Table.Td colSpan={6}>
                      <Text c="dimmed" size="sm">
                        {onlyFailed ? 'No row failed.' : 'The file had no data rows.'}
                      </Text>
                    </Table.Td>
                  </Table.Tr>
                )}
              </Table.Tbody>
            </Table>
          </ScrollArea.Autosize>
          <Pager
            label={mode === 'check' ? 'Check result pages' : 'Import results pages'}
            total={pages}
            value={currentPage}
            onChange={setPage}
          />
        </>
      )}
    </Stack>
  );
}

function JobProgress({ job, mode }: { job: ImportJob; mode: 'import' | 'check' }) {
  const finished = isFinished(job);
  const percent = job.total_rows > 0 ? Math.round((job.processed_rows / job.total_rows) * 100) : finished ? 100 : 0;
  const verb = mode === 'check' ? 'Checked' : 'Processed';
  let status: string;
  if (!finished) {
    status = job.status === 'queued' ? 'Waiting to start…' : `${verb} ${job.processed_rows} of ${job.total_rows} rows…`;
  } else if (job.status === 'succeeded') {
    status = `${verb} ${job.processed_rows} of ${job.total_rows} rows. ${mode === 'check' ? 'Check' : 'Import'} finished.`;
  } else {
    status = `${mode === 'check' ? 'Check' : 'Import'} stopped.`;
  }
  return (
    <Stack gap={4}>
      <Progress
        value={percent}
        aria-label={mode === 'check' ? 'Check progress' : 'Import progress'}
        animated={!finished}
        striped={!finished}
        color={job.status === 'failed' ? 'red' : undefined}
      />
      <Text size="sm" c="dimmed" aria-live="polite" role="status">
        {status}
      </Text>
    </Stack>
  );
}
