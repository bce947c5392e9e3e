import { Alert, Button, Group, Modal, ScrollArea, Stack, Table, Text } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { errorMessage } from '../../api/http-client.ts';
import { savePasswords, type SmallSetEntry } from './credential-passwords.api.ts';

export interface PasswordChange {
  entry: SmallSetEntry;
  password: string;
}

interface SavePasswordsDialogProps {
  opened: boolean;
  changes: PasswordChange[];
  onClose: () => void;
  onSaved: (updated: number) => void;
}

/** The confirmation before an inline save: which entries change (never a password), then all or nothing. */
export function SavePasswordsDialog({ opened, changes, onClose, onSaved }: SavePasswordsDialogProps) {
  const queryClient = useQueryClient();
  const save = useMutation({
    mutationFn: () =>
      savePasswords(changes.map((change) => ({ entry_id: change.entry.entry_id, auth_password: change.password }))),
    onSuccess: (result) => {
      void queryClient.invalidateQueries({ queryKey: ['credential-passwords'] });
      onSaved(result.updated);
    },
  });

  function close() {
    if (save.isPending) return;
    save.reset();
    onClose();
  }

  const sorted = [...changes].sort(
    (a, b) =>
      a.entry.set_name.localeCompare(b.entry.set_name) ||
      a.entry.username.localeCompare(b.entry.username) ||
      a.entry.entry_id - b.entry.entry_id,
  );

  return (
    <Modal opened={opened} onClose={close} title="Update passwords" size="lg">
      <Stack gap="md">
        <Text size="sm">
          The password of {changes.length === 1 ? 'this entry' : `these ${changes.length} entries`} will be replaced
          with the new one you typed. Tests that use them load the new password on their next run.
        </Text>
        <ScrollArea.Autosize mah={320}>
          <Table aria-label="Entries that will change" verticalSpacing={4}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Credential set</Table.Th>
                <Table.Th scope="col">Entry</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {sorted.map(({ entry }) => (
                <Table.Tr key={entry.entry_id}>
                  <Table.Td>{entry.set_name}</Table.Td>
                  <Table.Td>
                    {entry.username}@{entry.domain}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </ScrollArea.Autosize>
        {save.isError && (
          <Alert color="red" role="alert" title="Nothing was saved">
            {errorMessage(save.error)}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={close} disabled={save.isPending}>
            Cancel
          </Button>
          <Button onClick={() => save.mutate()} loading={save.isPending} disabled={changes.length === 0}>
            Update passwords
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
