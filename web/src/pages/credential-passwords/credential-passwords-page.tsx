import { Alert, Button, Grid, Group, Stack, Text, Title } from '@mantine/core';
import { useDocumentTitle } from '@mantine/hooks';
import { useState } from 'react';
import { useDownload } from '../../ui/use-download.ts';
import { BulkSetsSection } from './bulk-sets-section.tsx';
import { downloadPaths } from './credential-passwords.api.ts';
import { ExportAllDialog } from './export-all-dialog.tsx';
import { ImportDialog, type StartedImport } from './import-dialog.tsx';
import { ImportResultsDialog } from './import-results-dialog.tsx';
import { ImportRulesGuide, NotOnThisPage } from './page-guide.tsx';
import { SmallSetsSection } from './small-sets-section.tsx';

/** Account → Credential Passwords: rotate and set SIP passwords by CSV import or inline, export for offline edits. */
export function CredentialPasswordsPage() {
  const [importOpen, setImportOpen] = useState(false);
  const [exportOpen, setExportOpen] = useState(false);
  const [resultsOpen, setResultsOpen] = useState(false);
  // The last import stays here after its dialog closes: the user can look at the results again,
  // and "Download failed rows" still has the file.
  const [lastImport, setLastImport] = useState<StartedImport | null>(null);
  const { download, pending } = useDownload();
  useDocumentTitle('Credential Passwords · sipcreds');

  return (
    <Stack gap="xl" maw={1200}>
      <Stack gap="xs">
        <Title order={2}>Credential Passwords</Title>
        <Text>
          Rotate or set the SIP authentication passwords (and optional TOTP secrets) of the credentials in your account:
          update existing entries or add new ones by CSV import, export to edit offline and import again, or type new
          passwords for small credential sets right here.
        </Text>
        <Alert color="blue" variant="light" role="note" title="Current passwords are never displayed on this page">
          You only enter new values. Passwords and TOTP secrets appear only in export files.
        </Alert>
      </Stack>

      <Group gap="sm">
        <Button onClick={() => setImportOpen(true)}>Import CSV</Button>
        <Button variant="default" onClick={() => setExportOpen(true)}>
          Export All
        </Button>
        <Button
          variant="default"
          loading={pending === downloadPaths.sample}
          onClick={() => void download(downloadPaths.sample, 'credential-passwords-sample.csv')}
        >
          Sample CSV
        </Button>
        {lastImport && !resultsOpen && (
          <Button variant="subtle" onClick={() => setResultsOpen(true)}>
            Show last import results
          </Button>
        )}
      </Group>

      <Grid gap="xl">
        <Grid.Col span={{ base: 12, lg: 7 }}>
          <ImportRulesGuide />
        </Grid.Col>
        <Grid.Col span={{ base: 12, lg: 5 }}>
          <NotOnThisPage />
        </Grid.Col>
      </Grid>

      <BulkSetsSection />
      <SmallSetsSection />

      <ImportDialog
        opened={importOpen}
        onClose={() => setImportOpen(false)}
        onStarted={(started) => {
          setLastImport(started);
          setImportOpen(false);
          setResultsOpen(true);
        }}
      />
      <ImportResultsDialog opened={resultsOpen} started={lastImport} onClose={() => setResultsOpen(false)} />
      <ExportAllDialog opened={exportOpen} onClose={() => setExportOpen(false)} />
    </Stack>
  );
}
