import { Alert, Button, Code, Group, List, Modal, Stack, Tabs, Text, Textarea } from '@mantine/core';
import { Dropzone } from '@mantine/dropzone';
import { useRef, useState } from 'react';
import { errorMessage } from '../../api/http-client.ts';
import { newIdempotencyKey } from '../../api/idempotency-key.ts';
import {
  IMPORT_ROW_LIMIT,
  readImportBody,
  startImport,
  type ImportBody,
  type ImportJob,
  type ImportSource,
} from './credential-passwords.api.ts';
import { CSV_HEADER } from './failed-rows-csv.ts';
import { ImportJobView } from './import-job-view.tsx';
import { useImportJob } from './use-import-job.ts';

export interface StartedImport {
  job: ImportJob;
  body: ImportBody;
}

interface ImportDialogProps {
  opened: boolean;
  onClose: () => void;
  onStarted: (started: StartedImport) => void;
}

/** Import CSV: choose or paste a file, optionally check it (a dry run), then import it. */
export function ImportDialog({ opened, onClose, onStarted }: ImportDialogProps) {
  return (
    <Modal opened={opened} onClose={onClose} title="Import CSV" size="xl">
      {/* The body mounts with each opening, so each opening gets fresh Idempotency-Keys. */}
      <ImportDialogBody onClose={onClose} onStarted={onStarted} />
    </Modal>
  );
}

// One key per opening and content for each kind of request: a double click, or a retry after a
// lost answer, sends the same key and the server runs the import once. Check and import need
// different keys, or the import would get the check's job back.
function newKeys() {
  return { check: newIdempotencyKey(), import: newIdempotencyKey() };
}

function ImportDialogBody({ onClose, onStarted }: Omit<ImportDialogProps, 'opened'>) {
  const [mode, setMode] = useState<'file' | 'paste'>('file');
  const [file, setFile] = useState<File | null>(null);
  const [text, setText] = useState('');
  const [keys, setKeys] = useState(newKeys);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<'check' | 'import' | null>(null);
  const [checkJob, setCheckJob] = useState<ImportJob | null>(null);
  const inFlight = useRef(false);
  const openFilePicker = useRef<() => void>(null);

  const check = useImportJob(checkJob?.id ?? null, checkJob ?? undefined);

  const source: ImportSource | null =
    mode === 'file' ? (file ? { kind: 'file', file } : null) : text.trim() ? { kind: 'paste', text } : null;

  // Anything the user changes makes a new file: earlier answers and keys no longer apply.
  function contentChanged() {
    setKeys(newKeys());
    setError(null);
    setCheckJob(null);
  }

  async function send(dryRun: boolean) {
    if (!source || inFlight.current) return;
    inFlight.current = true;
    setBusy(dryRun ? 'check' : 'import');
    setError(null);
    try {
      const body = await readImportBody(source);
      const job = await startImport(body, { dryRun, idempotencyKey: dryRun ? keys.check : keys.import });
      if (dryRun) setCheckJob(job);
      else onStarted({ job, body });
    } catch (caught) {
      setError(errorMessage(caught));
    } finally {
      inFlight.current = false;
      setBusy(null);
    }
  }

  const checkView = check.data ?? checkJob;

  return (
    <Stack gap="md">
      <Text size="sm">
        Choose a CSV file or paste its content. Rows with a valid <Code>multi_credential_pool_id</Code> and{' '}
        <Code>entry_id</Code> update those entries; rows with blank or unknown ids create new entries or sets. Import
        never deletes: credentials not in the file stay as they are. On update, an empty <Code>totp_secret</Code>{' '}
        removes the entry&apos;s TOTP. Up to {IMPORT_ROW_LIMIT.toLocaleString('en')} data rows.
      </Text>

      <Tabs
        value={mode}
        onChange={(value) => {
          setMode(value === 'paste' ? 'paste' : 'file');
          contentChanged();
        }}
      >
        <Tabs.List>
          <Tabs.Tab value="file">Choose a file</Tabs.Tab>
          <Tabs.Tab value="paste">Paste CSV</Tabs.Tab>
        </Tabs.List>

        <Tabs.Panel value="file" pt="md">
          <Stack gap="xs">
            <Dropzone
              onDrop={(files: File[]) => {
                setFile(files[0] ?? null);
                contentChanged();
              }}
              onReject={() => setError('Drop one CSV file at a time.')}
              multiple={false}
              openRef={openFilePicker}
              activateOnClick
              inputProps={{ 'aria-label': 'CSV file' }}
              disabled={busy !== null}
              p="xl"
            >
              <Stack gap={4} align="center" style={{ pointerEvents: 'none' }}>
                <Dropzone.Accept>
                  <Text fw={500}>Drop the file to use it</Text>
                </Dropzone.Accept>
                <Dropzone.Reject>
                  <Text fw={500}>Only one file at a time</Text>
                </Dropzone.Reject>
                <Dropzone.Idle>
                  <Text fw={500}>Drag a CSV file here, or click to choose one</Text>
                </Dropzone.Idle>
                <Text size="sm" c="dimmed">
                  UTF-8, the header row first, exactly as in an export or the Sample CSV
                </Text>
              </Stack>
            </Dropzone>
            <Group justify="space-between">
              <Text size="sm" aria-live="polite">
                {file ? (
                  <>
                    Selected: <strong>{file.name}</strong> ({formatBytes(file.size)})
                  </>
                ) : (
                  'No file chosen.'
                )}
              </Text>
              <Button variant="default" size="xs" onClick={() => openFilePicker.current?.()} disabled={busy !== null}>
                Choose file…
              </Button>
            </Group>
          </Stack>
        </Tabs.Panel>

        <Tabs.Panel value="paste" pt="md">
          <Textarea
            label="CSV content"
            description={`Start with the header row: ${CSV_HEADER.join(',')}`}
            value={text}
            onChange={(event) => {
              setText(event.currentTarget.value);
              contentChanged();
            }}
            autosize
            minRows={8}
            maxRows={16}
            spellCheck={false}
            autoComplete="off"
            styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)', fontSize: 13 } }}
            disabled={busy !== null}
          />
        </Tabs.Panel>
      </Tabs>

      {error && (
        <Alert color="red" role="alert" title="The file was not imported">
          {error}
        </Alert>
      )}

      {checkView && (
        <Stack gap="xs">
          <Text fw={600}>Check result</Text>
          <Text size="sm" c="dimmed">
            Nothing has been changed yet. This is what Import would do with each row of the file:
          </Text>
          <ImportJobView job={checkView} mode="check" />
          {check.isError && (
            <Alert color="red" role="alert">
              {errorMessage(check.error)}
            </Alert>
          )}
        </Stack>
      )}

      <List size="xs" c="dimmed" spacing={2}>
        <List.Item>Check file runs the file against your account as it is now and applies nothing.</List.Item>
        <List.Item>Import applies the valid rows in one go; failed rows are reported and skipped.</List.Item>
      </List>

      <Group justify="flex-end">
        <Button variant="default" onClick={onClose}>
          Cancel
        </Button>
        <Button
          variant="light"
          onClick={() => void send(true)}
          disabled={!source || busy === 'import'}
          loading={busy === 'check'}
        >
          Check file
        </Button>
        <Button onClick={() => void send(false)} disabled={!source || busy === 'check'} loading={busy === 'import'}>
          Import
        </Button>
      </Group>
    </Stack>
  );
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
