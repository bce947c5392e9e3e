import {
  ActionIcon,
  Alert,
  Anchor,
  Badge,
  Button,
  Group,
  Menu,
  Select,
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
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { errorMessage } from '../../api/http-client.ts';
import { Pager } from '../../ui/pager.tsx';
import {
  credentialSetsKeys,
  fetchSets,
  fetchTags,
  formatDate,
  pageCount,
  plural,
  type CredentialSet,
} from './credential-sets.api.ts';
import { SetActionDialogs, type SetActionState } from './set-actions.tsx';
import { CreateCredentialsDialog, NewSetDialog } from './set-dialogs.tsx';

export const SIP_CREDENTIALS_PATH = '/sip-credentials';
export const setPath = (id: number) => `${SIP_CREDENTIALS_PATH}/${id}`;

/** SIP Credentials: every credential set of the account, searchable and filterable by tag. */
export function SetListView() {
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const tag = params.get('tag');
  const page = Math.max(1, Number(params.get('page')) || 1);

  // The search box updates the address (and so the query) once typing pauses.
  const [search, setSearch] = useState(q);
  const [debounced] = useDebouncedValue(search, 300);
  useEffect(() => {
    if (debounced.trim() !== q.trim()) update({ q: debounced.trim() || null, page: null });
  }, [debounced]);

  function update(changes: Record<string, string | null>) {
    setParams(
      (current) => {
        const next = new URLSearchParams(current);
        for (const [key, value] of Object.entries(changes)) {
          if (value === null || value === '') next.delete(key);
          else next.set(key, value);
        }
        return next;
      },
      { replace: true },
    );
  }

  const sets = useQuery({
    queryKey: credentialSetsKeys.list({ page, q, tag }),
    queryFn: () => fetchSets({ page, q, tag }),
    placeholderData: keepPreviousData,
  });
  const tags = useQuery({ queryKey: credentialSetsKeys.tags, queryFn: fetchTags });
  const tagOptions = (tags.data?.items ?? []).map((t) => ({ value: t.tag, label: `${t.tag} (${t.set_count})` }));
  if (tag && !tagOptions.some((o) => o.value.toLowerCase() === tag.toLowerCase())) {
    tagOptions.push({ value: tag, label: tag });
  }

  // A delete can empty the last page: step back to the last page that has sets.
  useEffect(() => {
    const data = sets.data;
    if (data && data.items.length === 0 && data.total > 0 && page > 1) {
      const last = pageCount(data);
      update({ page: last === 1 ? null : String(last) });
    }
  }, [sets.data, page]);

  const [action, setAction] = useState<SetActionState>(null);
  const [creating, setCreating] = useState<'set' | 'credentials' | null>(null);
  const data = sets.data;
  const filtered = q !== '' || tag !== null;

  return (
    <Stack gap="lg" maw={1200}>
      <Stack gap="xs">
        <Title order={2}>SIP Credentials</Title>
        <Text>
          Your credential sets and their entries: create, rename, tag, clone and delete sets, and add, edit or delete
          the entries in them. Current passwords and TOTP secrets are never shown; you can only set new ones.
        </Text>
        <Text size="sm">
          For bulk work — importing or exporting CSV files, rotating many passwords at once — use{' '}
          <Anchor component={Link} to="/account/credential-passwords">
            Account → Credential Passwords
          </Anchor>
          .
        </Text>
      </Stack>

      <Group gap="sm">
        <Button onClick={() => setCreating('credentials')}>Create Credentials</Button>
        <Button variant="default" onClick={() => setCreating('set')}>
          New credential set
        </Button>
      </Group>

      <Group gap="sm" align="flex-end" component="search" aria-label="Find credential sets">
        <TextInput
          label="Search"
          placeholder="Set name, tag, username or domain"
          value={search}
          onChange={(e) => setSearch(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') update({ q: search.trim() || null, page: null });
          }}
          w={320}
          type="search"
          autoComplete="off"
        />
        <Select
          label="Tag"
          placeholder="Any tag"
          data={tagOptions}
          value={tag}
          onChange={(value) => update({ tag: value, page: null })}
          clearable
          searchable
          nothingFoundMessage="No such tag"
          w={240}
        />
        {filtered && (
          <Button
            variant="subtle"
            onClick={() => {
              setSearch('');
              update({ q: null, tag: null, page: null });
            }}
          >
            Clear filters
          </Button>
        )}
      </Group>

      {sets.isError && (
        <Alert color="red" role="alert" title="Could not load the credential sets">
          {errorMessage(sets.error)}
        </Alert>
      )}
      {sets.isPending && <Skeleton h={160} />}
      {data && data.total === 0 && (
        <Text c="dimmed" role="status">
          {filtered
            ? 'No credential set matches this search.'
            : 'There are no credential sets yet. Create Credentials adds one extension; a CSV import on Credential Passwords adds many.'}
        </Text>
      )}
      {data && data.total > 0 && (
        <>
          <Table.ScrollContainer minWidth={640}>
            <Table aria-label="Credential sets" highlightOnHover verticalSpacing="sm">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">Name</Table.Th>
                  <Table.Th scope="col">Tags</Table.Th>
                  <Table.Th scope="col" ta="right">
                    Entries
                  </Table.Th>
                  <Table.Th scope="col">Updated</Table.Th>
                  <Table.Th scope="col">
                    <VisuallyHidden>Actions</VisuallyHidden>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {data.items.map((set) => (
                  <SetRow
                    key={set.id}
                    set={set}
                    onAction={(kind) => setAction({ kind, set })}
                    onTag={(t) => update({ tag: t, page: null })}
                  />
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <Group justify="space-between">
            <Text size="sm" c="dimmed" role="status">
              {plural(data.total, 'credential set')}
              {filtered ? ' match' : ''}
            </Text>
            <Pager
              label="Credential set pages"
              total={pageCount(data)}
              value={page}
              onChange={(p) => update({ page: p === 1 ? null : String(p) })}
            />
          </Group>
        </>
      )}

      <SetActionDialogs state={action} onClose={() => setAction(null)} />
      <NewSetDialog
        opened={creating === 'set'}
        onClose={() => setCreating(null)}
        onCreated={(set) => {
          setCreating(null);
          navigate(setPath(set.id));
        }}
      />
      <CreateCredentialsDialog
        opened={creating === 'credentials'}
        onClose={() => setCreating(null)}
        onCreated={(set) => {
          setCreating(null);
          navigate(setPath(set.id));
        }}
      />
    </Stack>
  );
}

function SetRow({
  set,
  onAction,
  onTag,
}: {
  set: CredentialSet;
  onAction: (kind: 'rename' | 'tags' | 'clone' | 'delete') => void;
  onTag: (tag: string) => void;
}) {
  return (
    <Table.Tr>
      <Table.Td>
        <Anchor component={Link} to={setPath(set.id)} fw={500}>
          {set.name}
        </Anchor>
      </Table.Td>
      <Table.Td>
        <Group gap={4}>
          {set.tags.map((t) => (
            <Badge
              key={t}
              variant="light"
              tt="none"
              component="button"
              type="button"
              style={{ cursor: 'pointer' }}
              onClick={() => onTag(t)}
              aria-label={`Show sets tagged ${t}`}
            >
              {t}
            </Badge>
          ))}
        </Group>
      </Table.Td>
      <Table.Td ta="right">{set.entry_count}</Table.Td>
      <Table.Td c="dimmed">
        <Text size="sm" c="dimmed">
          {formatDate(set.updated_at)}
        </Text>
      </Table.Td>
      <Table.Td>
        <Group justify="flex-end">
          <Menu position="bottom-end" withinPortal>
            <Menu.Target>
              <ActionIcon variant="subtle" color="gray" aria-label={`Actions for ${set.name}`}>
                <span aria-hidden="true">⋯</span>
              </ActionIcon>
            </Menu.Target>
            <Menu.Dropdown>
              <Menu.Item component={Link} to={setPath(set.id)}>
                Open
              </Menu.Item>
              <Menu.Item onClick={() => onAction('rename')}>Rename</Menu.Item>
              <Menu.Item onClick={() => onAction('tags')}>Edit tags</Menu.Item>
              <Menu.Item onClick={() => onAction('clone')}>Clone</Menu.Item>
              <Menu.Divider />
              <Menu.Item color="red" onClick={() => onAction('delete')}>
                Delete
              </Menu.Item>
            </Menu.Dropdown>
          </Menu>
        </Group>
      </Table.Td>
    </Table.Tr>
  );
}
