import { Badge, Checkbox, Group, PasswordInput, SimpleGrid, Stack, Text, TextInput } from '@mantine/core';
import { NO_PASSWORD_MANAGER, type EntryColumn } from './form-parts.tsx';

// The fields of one credential entry, for "Add entry", "Edit entry" and "Create Credentials".
// The current password and TOTP secret are never shown: there is only a field for a new one.

export interface EntryDraft {
  username: string;
  domain: string;
  display_name: string;
  auth_username: string;
  password: string;
  totp: string;
  removeTotp: boolean;
}

export const EMPTY_ENTRY: EntryDraft = {
  username: '',
  domain: '',
  display_name: '',
  auth_username: '',
  password: '',
  totp: '',
  removeTotp: false,
};

export type EntryErrors = Partial<Record<EntryColumn, string>>;

const COLUMN_OF: Record<keyof EntryDraft, EntryColumn> = {
  username: 'username',
  domain: 'domain',
  display_name: 'display_name',
  auth_username: 'auth_username',
  password: 'auth_password',
  totp: 'totp_secret',
  removeTotp: 'totp_secret',
};

/** The errors still true after an edit: a field the user changed loses its message. */
export function errorsAfterEdit(errors: EntryErrors, before: EntryDraft, after: EntryDraft): EntryErrors {
  const next = { ...errors };
  for (const key of Object.keys(COLUMN_OF) as Array<keyof EntryDraft>) {
    if (before[key] !== after[key]) delete next[COLUMN_OF[key]];
  }
  return next;
}

/** Blank required fields, named as the server would name them (it has the final word on the rest). */
export function checkEntryDraft(draft: EntryDraft, mode: 'create' | 'edit'): EntryErrors {
  const errors: EntryErrors = {};
  if (!draft.username.trim()) errors.username = 'Enter the SIP username or extension.';
  if (!draft.domain.trim()) errors.domain = 'Enter the SIP domain, such as sip.example.com.';
  if (!draft.display_name.trim()) errors.display_name = 'Enter a display name.';
  if (!draft.auth_username.trim()) errors.auth_username = 'Enter the authentication username.';
  if (mode === 'create' && !draft.password.trim()) errors.auth_password = 'Enter the SIP password.';
  return errors;
}

export function EntryFields({
  draft,
  onChange,
  errors,
  mode,
  hasTotp,
  autoFocus = true,
}: {
  draft: EntryDraft;
  onChange: (draft: EntryDraft) => void;
  errors: EntryErrors;
  mode: 'create' | 'edit';
  /** Whether the stored entry has a TOTP secret (edit only). */
  hasTotp?: boolean;
  autoFocus?: boolean;
}) {
  const set = (patch: Partial<EntryDraft>) => onChange({ ...draft, ...patch });

  // While auth username and display name still follow the username, typing a username fills them:
  // most extensions authenticate with their own number.
  function setUsername(username: string) {
    const follows = (value: string) => value === '' || value === draft.username;
    set({
      username,
      ...(mode === 'create' && follows(draft.auth_username) && { auth_username: username }),
      ...(mode === 'create' && follows(draft.display_name) && { display_name: username }),
    });
  }

  return (
    <Stack gap="sm">
      <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
        <TextInput
          label="Username"
          description="SIP username or extension"
          required
          value={draft.username}
          onChange={(e) => setUsername(e.currentTarget.value)}
          error={errors.username}
          autoComplete="off"
          data-autofocus={autoFocus || undefined}
        />
        <TextInput
          label="Domain"
          description="SIP domain, e.g. sip.example.com"
          required
          value={draft.domain}
          onChange={(e) => set({ domain: e.currentTarget.value })}
          error={errors.domain}
          autoComplete="off"
        />
        <TextInput
          label="Display name"
          description="The label shown in sipcreds"
          required
          value={draft.display_name}
          onChange={(e) => set({ display_name: e.currentTarget.value })}
          error={errors.display_name}
          autoComplete="off"
        />
        <TextInput
          label="Auth username"
          description="Often the same as the username"
          required
          value={draft.auth_username}
          onChange={(e) => set({ auth_username: e.currentTarget.value })}
          error={errors.auth_username}
          autoComplete="off"
        />
      </SimpleGrid>
      <PasswordInput
        label={mode === 'create' ? 'Password' : 'New password'}
        description={
          mode === 'create'
            ? 'The SIP authentication password. It is stored encrypted and never shown again.'
            : 'Leave empty to keep the current password. The current password is never shown.'
        }
        required={mode === 'create'}
        value={draft.password}
        onChange={(e) => set({ password: e.currentTarget.value })}
        error={errors.auth_password}
        {...NO_PASSWORD_MANAGER}
      />
      <Stack gap={6}>
        {mode === 'edit' && (
          <Group gap="xs">
            <Text size="sm" fw={500}>
              TOTP:
            </Text>
            <Badge variant="light" color={hasTotp ? 'teal' : 'gray'} tt="none">
              {hasTotp ? 'A TOTP secret is set' : 'No TOTP secret'}
            </Badge>
          </Group>
        )}
        <PasswordInput
          label={mode === 'create' ? 'TOTP secret (optional)' : hasTotp ? 'New TOTP secret' : 'TOTP secret'}
          description={
            mode === 'create'
              ? 'Base32, as the provider shows it; spaces and lower case are fine.'
              : hasTotp
                ? 'Leave empty to keep the current TOTP secret, which is never shown.'
                : 'Leave empty for no TOTP. Base32, as the provider shows it.'
          }
          value={draft.totp}
          onChange={(e) => set({ totp: e.currentTarget.value, removeTotp: false })}
          error={errors.totp_secret}
          disabled={draft.removeTotp}
          {...NO_PASSWORD_MANAGER}
          autoComplete="off"
        />
        {mode === 'edit' && hasTotp && (
          <Checkbox
            label="Remove the TOTP secret"
            checked={draft.removeTotp}
            onChange={(e) => set({ removeTotp: e.currentTarget.checked, totp: '' })}
          />
        )}
      </Stack>
    </Stack>
  );
}
