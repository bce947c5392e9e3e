import { Alert, Button, Group, Modal, Stack, TagsInput } from '@mantine/core';
import type { FormEvent, ReactNode } from 'react';
import { ApiError, errorMessage } from '../../api/http-client.ts';

// Pieces every SIP Credentials form shares: the dialog frame, the tag field, the server's sentence.

// Password managers must neither fill these with a saved password nor offer to save what is typed:
// they are SIP secrets for other systems, not this user's login.
export const NO_PASSWORD_MANAGER = {
  autoComplete: 'new-password',
  'data-1p-ignore': true,
  'data-lpignore': 'true',
  'data-form-type': 'other',
  'data-bwignore': true,
} as const;

export const ENTRY_COLUMNS = [
  'auth_password',
  'totp_secret',
  'auth_username',
  'display_name',
  'username',
  'domain',
] as const;
export type EntryColumn = (typeof ENTRY_COLUMNS)[number];

/**
 * The column a 422 is about, read from the server's sentence (it names the column, as the import's
 * row messages do), so the message can sit under the input it concerns.
 */
export function columnOfError(error: unknown): EntryColumn | null {
  if (!(error instanceof ApiError) || error.status !== 422) return null;
  const detail = error.detail;
  for (const column of ENTRY_COLUMNS) {
    if (new RegExp(`(^|[^a-z_])${column}([^a-z_]|$)`, 'i').test(detail)) return column;
  }
  return null;
}

/** A modal form: focus is trapped inside, Escape and Cancel close it, Enter submits. */
export function FormDialog({
  opened,
  onClose,
  title,
  submitLabel,
  submitColor,
  pending,
  error,
  onSubmit,
  submitDisabled,
  size = 'md',
  children,
}: {
  opened: boolean;
  onClose: () => void;
  title: string;
  submitLabel: string;
  submitColor?: string;
  pending: boolean;
  /** Shown as an alert above the buttons (the server's sentence). */
  error?: ReactNode;
  onSubmit: () => void;
  submitDisabled?: boolean;
  size?: string;
  children: ReactNode;
}) {
  function submit(event: FormEvent) {
    event.preventDefault();
    if (!pending && !submitDisabled) onSubmit();
  }
  return (
    <Modal
      opened={opened}
      onClose={() => !pending && onClose()}
      title={title}
      size={size}
      trapFocus
      closeOnEscape
      closeButtonProps={{ 'aria-label': 'Close' }}
    >
      <form onSubmit={submit} noValidate>
        <Stack gap="md">
          {children}
          {error && (
            <Alert color="red" role="alert" title="Not saved">
              {error}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose} disabled={pending}>
              Cancel
            </Button>
            <Button type="submit" color={submitColor} loading={pending} disabled={submitDisabled}>
              {submitLabel}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

/** Free-form tags: Enter or a comma adds one; the same tag in another case counts as a duplicate. */
export function TagsField({
  value,
  onChange,
  suggestions,
  autoFocus,
}: {
  value: string[];
  onChange: (tags: string[]) => void;
  suggestions?: string[];
  autoFocus?: boolean;
}) {
  return (
    <TagsInput
      label="Tags"
      description="Press Enter or type a comma after each tag."
      placeholder={value.length === 0 ? 'e.g. production, carrier-a' : undefined}
      value={value}
      onChange={(tags) => onChange(tags.map((t) => t.trim()).filter((t) => t !== ''))}
      data={suggestions}
      splitChars={[',']}
      acceptValueOnBlur
      clearable
      maxTags={20}
      // Suggestions appear while typing, not on focus: an open list would cover the dialog's buttons.
      openOnFocus={false}
      maxDropdownHeight={180}
      isDuplicate={(tag, current) => current.some((t) => t.toLowerCase() === tag.trim().toLowerCase())}
      data-autofocus={autoFocus || undefined}
    />
  );
}

/** The server's sentence for a failed mutation, or nothing. */
export function problemText(error: unknown): string | null {
  return error ? errorMessage(error) : null;
}
