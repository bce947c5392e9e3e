import { Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import {
  createEntry,
  deleteEntry,
  invalidateCredentialData,
  updateEntry,
  type CredentialEntry,
  type CredentialSet,
  type EntryChange,
} from './credential-sets.api.ts';
import {
  checkEntryDraft,
  EMPTY_ENTRY,
  EntryFields,
  errorsAfterEdit,
  type EntryDraft,
  type EntryErrors,
} from './entry-fields.tsx';
import { columnOfError, FormDialog, problemText } from './form-parts.tsx';

function draftOf(entry: CredentialEntry | null): EntryDraft {
  if (!entry) return EMPTY_ENTRY;
  return {
    ...EMPTY_ENTRY,
    username: entry.username,
    domain: entry.domain,
    display_name: entry.display_name,
    auth_username: entry.auth_username,
  };
}

/** Only what the user changed goes to the server; an empty password field keeps the password. */
function changeOf(entry: CredentialEntry, draft: EntryDraft): EntryChange {
  const change: EntryChange = {};
  if (draft.username !== entry.username) change.username = draft.username;
  if (draft.domain !== entry.domain) change.domain = draft.domain;
  if (draft.display_name !== entry.display_name) change.display_name = draft.display_name;
  if (draft.auth_username !== entry.auth_username) change.auth_username = draft.auth_username;
  if (draft.password !== '') change.auth_password = draft.password;
  if (draft.removeTotp) change.totp_secret = null;
  else if (draft.totp.trim() !== '') change.totp_secret = draft.totp;
  return change;
}

/** Add an entry to a set (entry null) or edit one. */
export function EntryFormDialog({
  opened,
  set,
  entry,
  onClose,
}: {
  opened: boolean;
  set: CredentialSet;
  entry: CredentialEntry | null;
  onClose: () => void;
}) {
  const queryClient = useQueryClient();
  const mode = entry ? 'edit' : 'create';
  const [draft, setDraft] = useState<EntryDraft>(draftOf(entry));
  const [errors, setErrors] = useState<EntryErrors>({});

  useEffect(() => {
    if (opened) {
      setDraft(draftOf(entry));
      setErrors({});
    }
  }, [opened, entry]);

  const save = useMutation({
    mutationFn: () => {
      if (!entry) {
        return createEntry(set.id, {
          username: draft.username,
          domain: draft.domain,
          display_name: draft.display_name,
          auth_username: draft.auth_username,
          auth_password: draft.password,
          ...(draft.totp.trim() !== '' && { totp_secret: draft.totp }),
        });
      }
      return updateEntry(set.id, entry.id, changeOf(entry, draft));
    },
    onSuccess: (saved) => {
      void invalidateCredentialData(queryClient);
      notifications.show({
        color: 'green',
        message: entry ? `Entry ${saved.username} saved.` : `Entry ${saved.username} added to ${set.name}.`,
      });
      close();
    },
    onError: (error) => {
      const column = columnOfError(error);
      if (column) setErrors({ [column]: problemText(error) ?? undefined });
    },
  });

  function close() {
    save.reset();
    setDraft(EMPTY_ENTRY);
    onClose();
  }

  function submit() {
    const found = checkEntryDraft(draft, mode);
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    if (entry && Object.keys(changeOf(entry, draft)).length === 0) {
      close();
      return;
    }
    save.mutate();
  }

  const shownError = save.isError && !columnOfError(save.error) ? problemText(save.error) : null;

  return (
    <FormDialog
      opened={opened}
      onClose={close}
      title={entry ? `Edit entry ${entry.username}` : `Add entry to ${set.name}`}
      submitLabel={entry ? 'Save entry' : 'Add entry'}
      pending={save.isPending}
      error={shownError}
      onSubmit={submit}
      size="lg"
    >
      <EntryFields
        draft={draft}
        onChange={(next) => {
          setErrors((current) => errorsAfterEdit(current, draft, next));
          setDraft(next);
        }}
        errors={errors}
        mode={mode}
        hasTotp={entry?.has_totp}
      />
    </FormDialog>
  );
}

export function DeleteEntryDialog({
  set,
  entry,
  onClose,
}: {
  set: CredentialSet;
  entry: CredentialEntry | null;
  onClose: () => void;
}) {
  const queryClient = useQueryClient();
  const remove = useMutation({
    mutationFn: (e: CredentialEntry) => deleteEntry(set.id, e.id),
    onSuccess: (_result, e) => {
      void invalidateCredentialData(queryClient);
      notifications.show({ color: 'green', message: `Entry ${e.username} deleted.` });
      close();
    },
  });

  function close() {
    remove.reset();
    onClose();
  }

  return (
    <FormDialog
      opened={entry !== null}
      onClose={close}
      title="Delete entry"
      submitLabel="Delete entry"
      submitColor="red"
      pending={remove.isPending}
      error={problemText(remove.error)}
      onSubmit={() => entry && remove.mutate(entry)}
    >
      {entry && (
        <Text size="sm">
          Delete the entry{' '}
          <Text span fw={600} ff="monospace">
            {entry.username}@{entry.domain}
          </Text>{' '}
          from {set.name}? Tests that use this set will no longer register it. This cannot be undone.
        </Text>
      )}
    </FormDialog>
  );
}
