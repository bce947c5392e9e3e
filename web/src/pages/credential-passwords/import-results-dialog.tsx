import { Alert, Button, Group, Modal, Stack, Text, Tooltip } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { saveBlob } from '../../api/download.ts';
import { errorMessage } from '../../api/http-client.ts';
import { useDownload } from '../../ui/use-download.ts';
import { downloadPaths, importBodyText, isFinished } from './credential-passwords.api.ts';
import { buildFailedRowsCsv, failedRowsFilename } from './failed-rows-csv.ts';
import type { StartedImport } from './import-dialog.tsx';
import { ImportJobView } from './import-job-view.tsx';
import { useImportJob } from './use-import-job.ts';

interface ImportResultsDialogProps {
  opened: boolean;
  started: StartedImport | null;
  onClose: () => void;
}

/** Import results: progress while the rows are processed, then counts and each row's outcome. */
export function ImportResultsDialog({ opened, started, onClose }: ImportResultsDialogProps) {
  return (
    <Modal opened={opened && started !== null} onClose={onClose} title="Import results" size="xl">
      {started && <ImportResultsBody started={started} onClose={onClose} />}
    </Modal>
  );
}

function ImportResultsBody({ started, onClose }: { started: StartedImport; onClose: () => void }) {
  const queryClient = useQueryClient();
  const jobQuery = useImportJob(started.job.id, started.job);
  const job = jobQuery.data ?? started.job;
  const finished = isFinished(job);
  const { download, pending } = useDownload();
  const [fileError, setFileError] = useState<string | null>(null);

  // The lists on the page show what the import changed once it is done.
  useEffect(() => {
    if (finished) void queryClient.invalidateQueries({ queryKey: ['credential-passwords'], refetchType: 'active' });
  }, [finished, queryClient]);

  const failedCount = job.counts.failed;
  const sourceText = importBodyText(started.body);

  function downloadFailedRows() {
    setFileError(null);
    if (sourceText === null) return;
    const failed = job.rows.filter((row) => row.action === 'failed');
    const result = buildFailedRowsCsv(sourceText, failed);
    if (result.kind !== 'ok') {
      setFileError(result.message);
      return;
    }
    const name = failedRowsFilename(started.body.kind === 'file' ? started.body.name : undefined);
    saveBlob(new Blob([result.csv], { type: 'text/csv;charset=utf-8' }), name);
  }

  return (
    <Stack gap="md">
      <ImportJobView job={job} mode="import" />
      {jobQuery.isError && (
        <Alert color="red" role="alert">
          {errorMessage(jobQuery.error)}
        </Alert>
      )}
      {!finished && (
        <Text size="sm" c="dimmed">
          The import goes on if you close this dialog; <strong>Show last import results</strong> on the page brings it
          back.
        </Text>
      )}
      {finished && job.status === 'succeeded' && failedCount > 0 && (
        <Text size="sm">
          Fix the failed rows and import them again: <strong>Download failed rows</strong> gives you just those rows of
          your own file, ready to edit.
        </Text>
      )}
      {fileError && (
        <Alert color="red" role="alert">
          {fileError}
        </Alert>
      )}
      <Group justify="space-between">
        <Group gap="xs">
          <Button
            variant="default"
            disabled={!finished || job.status !== 'succeeded'}
            loading={pending !== null}
            onClick={() => void download(downloadPaths.importResults(job.id), `import-results-${job.id}.csv`)}
          >
            Export results CSV
          </Button>
          {finished && failedCount > 0 && (
            <Tooltip
              label="The browser no longer holds this file; fix the failed rows in your own copy."
              disabled={sourceText !== null}
            >
              <Button variant="default" color="red" onClick={downloadFailedRows} disabled={sourceText === null}>
                Download failed rows
              </Button>
            </Tooltip>
          )}
        </Group>
        <Button onClick={onClose}>OK</Button>
      </Group>
    </Stack>
  );
}
