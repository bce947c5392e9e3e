import { Alert, Button, Group, List, Modal, PasswordInput, Stack, Text } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { errorMessage } from '../../api/http-client.ts';
import { confirmPassword, REAUTH_HEADER } from '../../api/reauth.ts';
import { useDownload } from '../../ui/use-download.ts';
import { downloadPaths } from './credential-passwords.api.ts';

/**
 * Export All asks first: the file holds every password and TOTP secret of the account in plaintext,
 * so the user confirms with their own password (the server asks for a fresh confirmation).
 */
export function ExportAllDialog({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  return (
    <Modal opened={opened} onClose={onClose} title="Export all credentials" size="lg">
      <ExportAllForm onClose={onClose} />
    </Modal>
  );
}

function ExportAllForm({ onClose }: { onClose: () => void }) {
  const { download } = useDownload();
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function exportAll(event: FormEvent) {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      const token = await confirmPassword(password);
      const ok = await download(downloadPaths.exportAll, 'credential-passwords-export.csv', {
        onError: setError,
        headers: { [REAUTH_HEADER]: token },
      });
      if (ok) onClose();
    } catch (caught) {
      setError(errorMessage(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={(event) => void exportAll(event)}>
      <Stack gap="md">
        <Alert color="yellow" role="note" title="This file holds plaintext passwords and TOTP secrets">
          <Text size="sm">
            It contains every credential in your account, with its SIP password and TOTP secret in plain text.
          </Text>
        </Alert>
        <List size="sm" spacing={4}>
          <List.Item>Store it only on secure systems.</List.Item>
          <List.Item>Transfer it encrypted.</List.Item>
          <List.Item>Delete it when you are finished.</List.Item>
        </List>
        <PasswordInput
          label="Your sipcreds password"
          description="Type the password you log in with to confirm it is you."
          autoComplete="current-password"
          value={password}
          onChange={(event) => setPassword(event.currentTarget.value)}
          required
          data-autofocus
        />
        {error && (
          <Alert color="red" role="alert" title="The export did not download">
            {error}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" color="red" loading={busy} disabled={password === ''}>
            Download export
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
