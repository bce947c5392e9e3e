import { Alert, Button, Group, List, Modal, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import { useDownload } from '../../ui/use-download.ts';
import { downloadPaths } from './credential-passwords.api.ts';

/** Export All asks first: the file holds every password and TOTP secret of the account in plaintext. */
export function ExportAllDialog({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const { download, pending } = useDownload();
  const [error, setError] = useState<string | null>(null);

  async function exportAll() {
    setError(null);
    const ok = await download(downloadPaths.exportAll, 'credential-passwords-export.csv', { onError: setError });
    if (ok) onClose();
  }

  return (
    <Modal
      opened={opened}
      onClose={() => {
        setError(null);
        onClose();
      }}
      title="Export all credentials"
      size="lg"
    >
      <Stack gap="md">
        <Alert color="yellow" title="This file holds plaintext passwords and TOTP secrets">
          <Text size="sm">
            It contains every credential in your account, with its SIP password and TOTP secret in plain text.
          </Text>
        </Alert>
        <List size="sm" spacing={4}>
          <List.Item>Store it only on secure systems.</List.Item>
          <List.Item>Transfer it encrypted.</List.Item>
          <List.Item>Delete it when you are finished.</List.Item>
        </List>
        {error && (
          <Alert color="red" role="alert" title="The export did not download">
            {error}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button color="red" onClick={() => void exportAll()} loading={pending !== null}>
            Download export
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
