import { Alert, Badge, Button, Fieldset, Group, Skeleton, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState, type KeyboardEvent } from 'react';
import { errorMessage } from '../../api/http-client.ts';
import { Pager } from '../../ui/pager.tsx';
import {
  fetchSmallSetEntries,
  SMALL_SET_FILTER_FIELDS,
  smallSetEntriesKey,
  type SmallSetEntry,
  type SmallSetFilterField,
  type SmallSetFilters,
} from './credential-passwords.api.ts';
import { SavePasswordsDialog, type PasswordChange } from './save-passwords-dialog.tsx';

const EMPTY_FILTERS: SmallSetFilters = { set_name: '', username: '', domain: '', display_name: '', auth_username: '' };

const COLUMN_LABELS: Record<SmallSetFilterField, string> = {
  set_name: 'Credential set',
  username: 'Username',
  domain: 'Domain',
  display_name: 'Display name',
  auth_username: 'Auth username',
};

// Password managers must not offer to fill these with a saved password or to save what is typed:
// they are new SIP passwords for other systems, not this user's login.
const NO_PASSWORD_MANAGER = {
  autoComplete: 'new-password',
  'data-1p-ignore': true,
  'data-lpignore': 'true',
  'data-form-type': 'other',
  'data-bwignore': true,
} as const;

/** Inline editor for sets with at most 5 entries: new passwords only, saved all together or not at all. */
export function SmallSetsSection() {
  const [draft, setDraft] = useState<SmallSetFilters>(EMPTY_FILTERS);
  const [filters, setFilters] = useState<SmallSetFilters>(EMPTY_FILTERS);
  const [page, setPage] = useState(1);
  // New passwords by entry id, with the entry they belong to: they survive paging and filtering
  // until they are saved or discarded.
  const [changes, setChanges] = useState<Record<number, PasswordChange>>({});
  const [confirming, setConfirming] = useState(false);

  const query = useQuery({
    queryKey: smallSetEntriesKey(page, filters),
    queryFn: () => fetchSmallSetEntries(page, filters),
    placeholderData: keepPreviousData,
  });
  const data = query.data;
  const pages = data ? Math.max(1, Math.ceil(data.total / data.page_size)) : 1;

  const pending = Object.values(changes).filter((change) => change.password !== '');
  const blankOnly = pending.filter((change) => change.password.trim() === '');
  const filtered = SMALL_SET_FILTER_FIELDS.some((field) => filters[field].trim() !== '');

  function applyFilters() {
    const unchanged = SMALL_SET_FILTER_FIELDS.every((field) => draft[field] === filters[field]);
    // Applying the same filters again reloads the list, as a person pressing Filter expects.
    if (unchanged && page === 1) void query.refetch();
    setFilters({ ...draft });
    setPage(1);
  }

  function clearFilters() {
    setDraft(EMPTY_FILTERS);
    setFilters(EMPTY_FILTERS);
    setPage(1);
  }

  function onFilterKey(event: KeyboardEvent<HTMLInputElement>) {
    if (event.key === 'Enter') {
      event.preventDefault();
      applyFilters();
    }
  }

  function setPassword(entry: SmallSetEntry, password: string) {
    setChanges((current) => {
      const next = { ...current };
      if (password === '') delete next[entry.entry_id];
      else next[entry.entry_id] = { entry, password };
      return next;
    });
  }

  return (
    <Stack gap="sm" component="section" aria-labelledby="small-sets-title">
      <Title order={3} id="small-sets-title">
        Smaller credential sets
      </Title>
      <Text size="sm" c="dimmed">
        Entries of sets with 5 or fewer entries. Type a new password for the entries to change and leave the others
        blank to keep their current password. Only passwords change here: use Import CSV to change TOTP or other fields.
      </Text>

      <Fieldset legend="Filter entries" variant="unstyled">
        <Group gap="xs" align="flex-end" wrap="wrap">
          {SMALL_SET_FILTER_FIELDS.map((field) => (
            <TextInput
              key={field}
              label={COLUMN_LABELS[field]}
              placeholder="*"
              size="xs"
              w={150}
              value={draft[field]}
              onChange={(event) => {
                const value = event.currentTarget.value;
                setDraft((current) => ({ ...current, [field]: value }));
              }}
              onKeyDown={onFilterKey}
              autoComplete="off"
              spellCheck={false}
            />
          ))}
          <Button size="xs" onClick={applyFilters}>
            Filter
          </Button>
          <Button size="xs" variant="default" onClick={clearFilters} disabled={!filtered && draft === EMPTY_FILTERS}>
            Clear filters
          </Button>
        </Group>
        <Text size="xs" c="dimmed" mt={6}>
          <code>*</code> stands for any characters (<code>10*</code> finds 1001 and 1002). Without <code>*</code> a
          filter matches the whole value. Case does not matter. Press Enter or Filter to apply.
        </Text>
      </Fieldset>

      {query.isError && (
        <Alert color="red" role="alert">
          {errorMessage(query.error)}
        </Alert>
      )}
      {query.isPending && <Skeleton h={200} />}

      {data && (
        <>
          <Table.ScrollContainer minWidth={900}>
            <Table aria-label="Smaller credential sets" verticalSpacing={6} aria-busy={query.isFetching}>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">Credential set</Table.Th>
                  <Table.Th scope="col">Username</Table.Th>
                  <Table.Th scope="col">Domain</Table.Th>
                  <Table.Th scope="col">Display name</Table.Th>
                  <Table.Th scope="col">Auth username</Table.Th>
                  <Table.Th scope="col">TOTP</Table.Th>
                  <Table.Th scope="col">New password</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {data.items.map((entry) => {
                  const value = changes[entry.entry_id]?.password ?? '';
                  return (
                    <Table.Tr key={entry.entry_id}>
                      <Table.Td>{entry.set_name}</Table.Td>
                      <Table.Td>{entry.username}</Table.Td>
                      <Table.Td>{entry.domain}</Table.Td>
                      <Table.Td>{entry.display_name}</Table.Td>
                      <Table.Td>{entry.auth_username}</Table.Td>
                      <Table.Td>
                        {entry.has_totp ? (
                          <Badge variant="light" color="grape" size="sm">
                            TOTP
                          </Badge>
                        ) : (
                          <Text size="sm" c="dimmed">
                            none
                          </Text>
                        )}
                      </Table.Td>
                      <Table.Td miw={200}>
                        <TextInput
                          type="password"
                          size="xs"
                          aria-label={`New password for ${entry.username}@${entry.domain} in ${entry.set_name}`}
                          placeholder="unchanged"
                          value={value}
                          onChange={(event) => setPassword(entry, event.currentTarget.value)}
                          error={value !== '' && value.trim() === '' ? 'Only spaces' : undefined}
                          name={`new-password-${entry.entry_id}`}
                          {...NO_PASSWORD_MANAGER}
                        />
                      </Table.Td>
                    </Table.Tr>
                  );
                })}
                {data.items.length === 0 && (
                  <Table.Tr>
                    <Table.Td colSpan={7}>
                      <Text size="sm" c="dimmed">
                        {filtered ? 'No entry matches these filters.' : 'No credential set has 5 or fewer entries.'}
                      </Text>
                    </Table.Td>
                  </Table.Tr>
                )}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <Group justify="space-between">
            <Text size="sm" c="dimmed">
              {data.total} {data.total === 1 ? 'entry' : 'entries'}
              {filtered ? ' match the filters' : ''}
            </Text>
            <Pager label="Smaller credential sets pages" total={pages} value={page} onChange={setPage} />
          </Group>
        </>
      )}

      <Group gap="sm">
        <Button onClick={() => setConfirming(true)} disabled={pending.length === 0 || blankOnly.length > 0}>
          Save passwords
        </Button>
        {pending.length > 0 && (
          <>
            <Text size="sm" aria-live="polite">
              {pending.length} new {pending.length === 1 ? 'password' : 'passwords'} entered
              {blankOnly.length > 0 ? ' — a password cannot be only spaces' : ''}
            </Text>
            <Button variant="subtle" size="xs" onClick={() => setChanges({})}>
              Discard new passwords
            </Button>
          </>
        )}
      </Group>

      <SavePasswordsDialog
        opened={confirming}
        changes={pending}
        onClose={() => setConfirming(false)}
        onSaved={(updated) => {
          setConfirming(false);
          setChanges({});
          notifications.show({
            color: 'green',
            title: 'Passwords updated',
            message: `${updated} ${updated === 1 ? 'password was' : 'passwords were'} updated. Tests use the new values on their next run.`,
          });
        }}
      />
    </Stack>
  );
}
