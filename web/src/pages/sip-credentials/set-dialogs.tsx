import { Alert, Divider, Stack, Text, TextInput } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { ApiError } from '../../api/http-client.ts';
import {
  cloneSet,
  createSet,
  credentialSetsKeys,
  deleteSet,
  fetchTags,
  invalidateCredentialData,
  plural,
  updateSet,
  type CredentialSet,
} from './credential-sets.api.ts';
import {
  checkEntryDraft,
  EMPTY_ENTRY,
  EntryFields,
  errorsAfterEdit,
  type EntryDraft,
  type EntryErrors,
} from './entry-fields.tsx';
import { columnOfError, FormDialog, problemText, TagsField } from './form-parts.tsx';

// The dialogs that act on a whole credential set: create, rename, tags, clone, delete, and
// "Create Credentials" (a new set holding one extension, in one request).

export type SetAction = 'rename' | 'tags' | 'clone' | 'delete';

function useTagSuggestions(enabled: boolean): string[] {
  const tags = useQuery({ queryKey: credentialSetsKeys.tags, queryFn: fetchTags, enabled, staleTime: 30_000 });
  return tags.data?.items.map((t) => t.tag) ?? [];
}

function nameError(name: string): string | undefined {
  return name.trim() === '' ? 'Give the credential set a name.' : undefined;
}

export function NewSetDialog({
  opened,
  onClose,
  onCreated,
}: {
  opened: boolean;
  onClose: () => void;
  onCreated: (set: CredentialSet) => void;
}) {
  const queryClient = useQueryClient();
  const suggestions = useTagSuggestions(opened);
  const [name, setName] = useState('');
  const [tags, setTags] = useState<string[]>([]);
  const [touched, setTouched] = useState(false);
  useEffect(() => {
    if (opened) {
      setName('');
      setTags([]);
      setTouched(false);
    }
  }, [opened]);
  const create = useMutation({
    mutationFn: () => createSet({ name, tags }),
    onSuccess: (set) => {
      void invalidateCredentialData(queryClient);
      notifications.show({ color: 'green', message: `Credential set ${set.name} created.` });
      create.reset();
      onCreated(set);
    },
  });
  return (
    <FormDialog
      opened={opened}
      onClose={() => {
        create.reset();
        onClose();
      }}
      title="New credential set"
      submitLabel="Create set"
      pending={create.isPending}
      error={problemText(create.error)}
      onSubmit={() => {
        setTouched(true);
        if (!nameError(name)) create.mutate();
      }}
    >
      <TextInput
        label="Name"
        required
        value={name}
        onChange={(e) => setName(e.currentTarget.value)}
        error={touched ? nameError(name) : undefined}
        data-autofocus
        autoComplete="off"
      />
      <TagsField value={tags} onChange={setTags} suggestions={suggestions} />
    </FormDialog>
  );
}

export function RenameSetDialog({ set, onClose }: { set: CredentialSet | null; onClose: () => void }) {
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  useEffect(() => {
    if (set) setName(set.name);
  }, [set]);
  const rename = useMutation({
    mutationFn: (target: CredentialSet) => updateSet(target.id, { name }),
    onSuccess: (saved, target) => {
      void invalidateCredentialData(queryClient);
      notifications.show({ color: 'green', message: `Renamed ${target.name} to ${saved.name}.` });
      close();
    },
  });
  function close() {
    rename.reset();
    onClose();
  }
  return (
    <FormDialog
      opened={set !== null}
      onClose={close}
      title="Rename credential set"
      submitLabel="Rename"
      pending={rename.isPending}
      error={problemText(rename.error)}
      onSubmit={() => set && !nameError(name) && rename.mutate(set)}
    >
      <TextInput
        label="New name"
        required
        value={name}
        onChange={(e) => setName(e.currentTarget.value)}
        error={nameError(name)}
        data-autofocus
        autoComplete="off"
      />
    </FormDialog>
  );
}

export function TagsDialog({ set, onClose }: { set: CredentialSet | null; onClose: () => void }) {
  const queryClient = useQueryClient();
  const suggestions = useTagSuggestions(set !== null);
  const [tags, setTags] = useState<string[]>([]);
  useEffect(() => {
    if (set) setTags(set.tags);
  }, [set]);
  const save = useMutation({
    mutationFn: (target: CredentialSet) => updateSet(target.id, { tags }),
    onSuccess: (saved) => {
      void invalidateCredentialData(queryClient);
      notifications.show({ color: 'green', message: `Tags of ${saved.name} saved.` });
      close();
    },
  });
  function close() {
    save.reset();
    onClose();
  }
  return (
    <FormDialog
      opened={set !== null}
      onClose={close}
      title={set ? `Tags of ${set.name}` : 'Tags'}
      submitLabel="Save tags"
      pending={save.isPending}
      error={problemText(save.error)}
      onSubmit={() => set && save.mutate(set)}
    >
      <TagsField value={tags} onChange={setTags} suggestions={suggestions} autoFocus />
    </FormDialog>
  );
}

export function CloneSetDialog({
  set,
  onClose,
  onCloned,
}: {
  set: CredentialSet | null;
  onClose: () => void;
  onCloned: (clone: CredentialSet) => void;
}) {
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  useEffect(() => {
    if (set) setName(`${set.name} (copy)`);
  }, [set]);
  const clone = useMutation({
    mutationFn: (target: CredentialSet) => cloneSet(target.id, name),
    onSuccess: (copy, source) => {
      void invalidateCredentialData(queryClient);
      notifications.show({
        color: 'green',
        message: `${source.name} cloned as ${copy.name} with ${plural(copy.entry_count, 'entry', 'entries')}.`,
      });
      clone.reset();
      onCloned(copy);
    },
  });
  function close() {
    clone.reset();
    onClose();
  }
  return (
    <FormDialog
      opened={set !== null}
      onClose={close}
      title="Clone credential set"
      submitLabel="Clone"
      pending={clone.isPending}
      error={problemText(clone.error)}
      onSubmit={() => set && !nameError(name) && clone.mutate(set)}
    >
      {set && (
        <Text size="sm">
          Copies {set.name} with its tags and {plural(set.entry_count, 'entry', 'entries')}, passwords and TOTP secrets
          included, under a new name. The copy counts towards your plan&apos;s limit on credential sets.
        </Text>
      )}
      <TextInput
        label="Name of the copy"
        required
        value={name}
        onChange={(e) => setName(e.currentTarget.value)}
        error={nameError(name)}
        data-autofocus
        autoComplete="off"
      />
    </FormDialog>
  );
}

export function DeleteSetDialog({
  set,
  onClose,
  onDeleted,
}: {
  set: CredentialSet | null;
  onClose: () => void;
  onDeleted?: (set: CredentialSet) => void;
}) {
  const queryClient = useQueryClient();
  const remove = useMutation({
    mutationFn: (target: CredentialSet) => deleteSet(target.id),
    onSuccess: (result, target) => {
      void invalidateCredentialData(queryClient);
      notifications.show({
        color: 'green',
        message: `Deleted ${target.name} and its ${plural(result.deleted_entries, 'entry', 'entries')}.`,
      });
      remove.reset();
      onDeleted?.(target);
      onClose();
    },
  });
  function close() {
    remove.reset();
    onClose();
  }
  // A test that uses the set blocks the delete: say which one, and offer nothing to retry.
  const inUse = remove.error instanceof ApiError && remove.error.status === 409;
  return (
    <FormDialog
      opened={set !== null}
      onClose={close}
      title="Delete credential set"
      submitLabel={set ? `Delete set and ${plural(set.entry_count, 'entry', 'entries')}` : 'Delete'}
      submitColor="red"
      pending={remove.isPending}
      error={inUse ? null : problemText(remove.error)}
      submitDisabled={inUse}
      onSubmit={() => set && remove.mutate(set)}
    >
      {set && (
        <Stack gap="xs">
          <Text size="sm">
            Delete the credential set <strong>{set.name}</strong>?
          </Text>
          <Text size="sm" fw={600}>
            {set.entry_count === 0
              ? 'It has no entries.'
              : `Its ${plural(set.entry_count, 'entry', 'entries')} will be deleted with it.`}{' '}
            This cannot be undone.
          </Text>
        </Stack>
      )}
      {inUse && (
        <Alert color="orange" role="alert" title="This set is in use">
          {problemText(remove.error)}
        </Alert>
      )}
    </FormDialog>
  );
}

/**
 * Create Credentials: one SIP extension as a new credential set, set and entry in one request, so
 * nothing half-made is left behind when the entry is refused.
 */
export function CreateCredentialsDialog({
  opened,
  onClose,
  onCreated,
}: {
  opened: boolean;
  onClose: () => void;
  onCreated: (set: CredentialSet) => void;
}) {
  const queryClient = useQueryClient();
  const suggestions = useTagSuggestions(opened);
  const [draft, setDraft] = useState<EntryDraft>(EMPTY_ENTRY);
  const [setName, setSetName] = useState('');
  const [nameTouched, setNameTouched] = useState(false);
  const [tags, setTags] = useState<string[]>([]);
  const [errors, setErrors] = useState<EntryErrors>({});
  const [nameMissing, setNameMissing] = useState(false);

  useEffect(() => {
    if (opened) {
      setDraft(EMPTY_ENTRY);
      setSetName('');
      setNameTouched(false);
      setTags([]);
      setErrors({});
      setNameMissing(false);
    }
  }, [opened]);

  // The set is named after the extension until the user names it.
  const suggestedName =
    draft.username.trim() && draft.domain.trim() ? `${draft.username.trim()}@${draft.domain.trim()}` : '';
  const name = nameTouched ? setName : suggestedName;

  const create = useMutation({
    mutationFn: () =>
      createSet({
        name,
        tags,
        entries: [
          {
            username: draft.username,
            domain: draft.domain,
            display_name: draft.display_name,
            auth_username: draft.auth_username,
            auth_password: draft.password,
            ...(draft.totp.trim() !== '' && { totp_secret: draft.totp }),
          },
        ],
      }),
    onSuccess: (set) => {
      void invalidateCredentialData(queryClient);
      notifications.show({ color: 'green', message: `Credentials created in the new set ${set.name}.` });
      create.reset();
      onCreated(set);
    },
    onError: (error) => {
      const column = columnOfError(error);
      if (column) setErrors({ [column]: problemText(error) ?? undefined });
    },
  });

  function submit() {
    const found = checkEntryDraft(draft, 'create');
    setErrors(found);
    const missing = name.trim() === '';
    setNameMissing(missing);
    if (Object.keys(found).length === 0 && !missing) create.mutate();
  }

  const shownError = create.isError && !columnOfError(create.error) ? problemText(create.error) : null;

  return (
    <FormDialog
      opened={opened}
      onClose={() => {
        create.reset();
        onClose();
      }}
      title="Create Credentials"
      submitLabel="Create credentials"
      pending={create.isPending}
      error={shownError}
      onSubmit={submit}
      size="lg"
    >
      <Text size="sm">
        Adds one SIP extension as a new credential set. To add many at once, import a CSV under Account → Credential
        Passwords.
      </Text>
      <EntryFields
        draft={draft}
        onChange={(next) => {
          setErrors((current) => errorsAfterEdit(current, draft, next));
          setDraft(next);
        }}
        errors={errors}
        mode="create"
      />
      <Divider label="Credential set" labelPosition="left" />
      <TextInput
        label="Credential set name"
        description="Named after the extension unless you change it."
        required
        value={name}
        onChange={(e) => {
          setNameTouched(true);
          setSetName(e.currentTarget.value);
        }}
        error={nameMissing && name.trim() === '' ? 'Give the credential set a name.' : undefined}
        autoComplete="off"
      />
      <TagsField value={tags} onChange={setTags} suggestions={suggestions} />
    </FormDialog>
  );
}
