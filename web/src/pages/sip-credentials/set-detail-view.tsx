import {
  Alert,
  Anchor,
  Badge,
  Breadcrumbs,
  Button,
  Group,
  Skeleton,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
  VisuallyHidden,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { ApiError, errorMessage } from '../../api/http-client.ts';
import { Pager } from '../../ui/pager.tsx';
import {
  credentialSetsKeys,
  fetchEntries,
  fetchSet,
  formatDate,
  pageCount,
  plural,
  type CredentialEntry,
  type CredentialSet,
} from './credential-sets.api.ts';
import { DeleteEntryDialog, EntryFormDialog } from './entry-dialogs.tsx';
import { SetActionDialogs, type SetActionState } from './set-actions.tsx';
import { SIP_CREDENTIALS_PATH } from './set-list-view.tsx';

/** One credential set: its name and tags, the actions on it, and its entries. */
export function SetDetailView() {
  const { setId: raw } = useParams();
  const setId = /^[1-9]\d{0,9}$/.test(raw ?? '') ? Number(raw) : null;
  const set = useQuery({
    queryKey: credentialSetsKeys.detail(setId ?? 0),
    queryFn: () => fetchSet(setId!),
    enabled: setId !== null,
  });

  const notFound = setId === null || (set.error instanceof ApiError && set.error.status === 404);
  return (
    <Stack gap="lg" maw={1200}>
      <Breadcrumbs>
        <Anchor component={Link} to={SIP_CREDENTIALS_PATH}>
          SIP Credentials
        </Anchor>
        <Text size="sm">{set.data?.name ?? (notFound ? 'Not found' : '…')}</Text>
      </Breadcrumbs>
      {notFound && (
        <Alert color="gray" title="This credential set does not exist" role="alert">
          It may have been deleted, or the address is wrong.{' '}
          <Anchor component={Link} to={SIP_CREDENTIALS_PATH}>
            Back to all credential sets
          </Anchor>
          .
        </Alert>
      )}
      {set.isError && !notFound && (
        <Alert color="red" role="alert" title="Could not load the credential set">
          {errorMessage(set.error)}
        </Alert>
      )}
      {set.isPending && !notFound && <Skeleton h={200} />}
      {set.data && <SetDetail set={set.data} />}
    </Stack>
  );
}

function SetDetail({ set }: { set: CredentialSet }) {
  const navigate = useNavigate();
  const [action, setAction] = useState<SetActionState>(null);
  const [editing, setEditing] = useState<CredentialEntry | 'new' | null>(null);
  const [deleting, setDeleting] = useState<CredentialEntry | null>(null);

  return (
    <>
      <Stack gap="xs">
        <Title order={2}>{set.name}</Title>
        <Group gap="xs" role="group" aria-label="Tags">
          {set.tags.length === 0 ? (
            <Text size="sm" c="dimmed">
              No tags
            </Text>
          ) : (
            set.tags.map((t) => (
              <Badge key={t} variant="light" tt="none">
                {t}
              </Badge>
            ))
          )}
        </Group>
        <Text size="sm" c="dimmed">
          Set id {set.id} · {plural(set.entry_count, 'entry', 'entries')} · updated {formatDate(set.updated_at)}
        </Text>
      </Stack>

      <Group gap="sm">
        <Button onClick={() => setEditing('new')}>Add entry</Button>
        <Button variant="default" onClick={() => setAction({ kind: 'rename', set })}>
          Rename
        </Button>
        <Button variant="default" onClick={() => setAction({ kind: 'tags', set })}>
          Edit tags
        </Button>
        <Button variant="default" onClick={() => setAction({ kind: 'clone', set })}>
          Clone
        </Button>
        <Button variant="outline" color="red" onClick={() => setAction({ kind: 'delete', set })}>
          Delete set
        </Button>
      </Group>
      <Text size="sm" c="dimmed">
        To change many passwords at once, export to CSV, edit the file and import it again on{' '}
        <Anchor component={Link} to="/account/credential-passwords">
          Account → Credential Passwords
        </Anchor>
        .
      </Text>

      <EntriesSection
        set={set}
        onEdit={(entry) => setEditing(entry)}
        onDelete={(entry) => setDeleting(entry)}
        onAdd={() => setEditing('new')}
      />

      <SetActionDialogs
        state={action}
        onClose={() => setAction(null)}
        afterDelete={() => navigate(SIP_CREDENTIALS_PATH, { replace: true })}
      />
      <EntryFormDialog
        opened={editing !== null}
        set={set}
        entry={editing === 'new' ? null : editing}
        onClose={() => setEditing(null)}
      />
      <DeleteEntryDialog set={set} entry={deleting} onClose={() => setDeleting(null)} />
    </>
  );
}

function EntriesSection({
  set,
  onEdit,
  onDelete,
  onAdd,
}: {
  set: CredentialSet;
  onEdit: (entry: CredentialEntry) => void;
  onDelete: (entry: CredentialEntry) => void;
  onAdd: () => void;
}) {
  const [page, setPage] = useState(1);
  const [search, setSearch] = useState('');
  const [q] = useDebouncedValue(search.trim(), 300);
  useEffect(() => setPage(1), [q]);
  const entries = useQuery({
    queryKey: credentialSetsKeys.entries(set.id, page, q),
    queryFn: () => fetchEntries(set.id, page, q),
    placeholderData: keepPreviousData,
  });
  const data = entries.data;
  // A delete can empty the last page: step back to the page that still has entries.
  useEffect(() => {
    if (data && data.items.length === 0 && data.total > 0 && page > 1) setPage(pageCount(data));
  }, [data, page]);

  return (
    <Stack gap="sm" component="section" aria-labelledby="entries-title">
      <Group justify="space-between" align="flex-end">
        <Title order={3} id="entries-title">
          Entries
        </Title>
        {set.entry_count > 0 && (
          <TextInput
            label="Search entries"
            placeholder="Username, domain, display name"
            value={search}
            onChange={(e) => setSearch(e.currentTarget.value)}
            type="search"
            w={300}
            autoComplete="off"
          />
        )}
      </Group>
      {entries.isError && (
        <Alert color="red" role="alert">
          {errorMessage(entries.error)}
        </Alert>
      )}
      {entries.isPending && <Skeleton h={120} />}
      {data && data.total === 0 && (
        <Text c="dimmed" role="status">
          {q ? (
            'No entry matches this search.'
          ) : (
            <>
              This set has no entries yet.{' '}
              <Anchor component="button" type="button" onClick={onAdd}>
                Add the first entry
              </Anchor>
              .
            </>
          )}
        </Text>
      )}
      {data && data.total > 0 && (
        <>
          <Table.ScrollContainer minWidth={720}>
            <Table aria-label={`Entries of ${set.name}`} highlightOnHover>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">Username</Table.Th>
                  <Table.Th scope="col">Domain</Table.Th>
                  <Table.Th scope="col">Display name</Table.Th>
                  <Table.Th scope="col">Auth username</Table.Th>
                  <Table.Th scope="col">TOTP</Table.Th>
                  <Table.Th scope="col">Entry id</Table.Th>
                  <Table.Th scope="col">
                    <VisuallyHidden>Actions</VisuallyHidden>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {data.items.map((entry) => (
                  <Table.Tr key={entry.id}>
                    <Table.Td ff="monospace">{entry.username}</Table.Td>
                    <Table.Td ff="monospace">{entry.domain}</Table.Td>
                    <Table.Td>{entry.display_name}</Table.Td>
                    <Table.Td ff="monospace">{entry.auth_username}</Table.Td>
                    <Table.Td>
                      {entry.has_totp ? (
                        <Badge variant="light" color="teal" tt="none">
                          Set
                        </Badge>
                      ) : (
                        <Text size="sm" c="dimmed">
                          None
                        </Text>
                      )}
                    </Table.Td>
                    <Table.Td c="dimmed">{entry.id}</Table.Td>
                    <Table.Td>
                      <Group gap="xs" justify="flex-end" wrap="nowrap">
                        <Button
                          size="xs"
                          variant="default"
                          onClick={() => onEdit(entry)}
                          aria-label={`Edit entry ${entry.username}@${entry.domain}`}
                        >
                          Edit
                        </Button>
                        <Button
                          size="xs"
                          variant="subtle"
                          color="red"
                          onClick={() => onDelete(entry)}
                          aria-label={`Delete entry ${entry.username}@${entry.domain}`}
                        >
                          Delete
                        </Button>
                      </Group>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <Group justify="space-between">
            <Text size="sm" c="dimmed">
              {plural(data.total, 'entry', 'entries')}
              {q ? ' match' : ''}
            </Text>
            <Pager label="Entry pages" total={pageCount(data)} value={page} onChange={setPage} />
          </Group>
        </>
      )}
    </Stack>
  );
}
