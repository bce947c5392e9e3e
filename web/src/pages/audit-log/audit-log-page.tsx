import { Alert, Badge, Button, Group, Select, Skeleton, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useDocumentTitle } from '@mantine/hooks';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useSearchParams } from 'react-router-dom';
import { errorMessage } from '../../api/http-client.ts';
import { Pager } from '../../ui/pager.tsx';
import {
  auditEventsKey,
  auditFilterOptionsKey,
  EMPTY_AUDIT_FILTERS,
  fetchAuditEvents,
  fetchAuditFilterOptions,
  type AuditEvent,
  type AuditFilters,
} from './audit-log.api.ts';

const FILTER_KEYS = Object.keys(EMPTY_AUDIT_FILTERS) as Array<keyof AuditFilters>;

// Filters and page live in the address, so a filtered view can be bookmarked or sent to a colleague.
function readFilters(params: URLSearchParams): AuditFilters {
  const filters = { ...EMPTY_AUDIT_FILTERS };
  for (const key of FILTER_KEYS) filters[key] = params.get(key) ?? '';
  return filters;
}

function readPage(params: URLSearchParams): number {
  const page = Number(params.get('page'));
  return Number.isInteger(page) && page > 0 ? page : 1;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

function When({ iso }: { iso: string }) {
  const date = new Date(iso);
  return (
    <time dateTime={iso} title={date.toISOString()}>
      {timeFormat.format(date)}
    </time>
  );
}

function badgeColor(action: string): string {
  if (/export/i.test(action)) return 'orange';
  if (/import/i.test(action)) return 'blue';
  if (/delete|failed/i.test(action)) return 'red';
  if (/password|reauth/i.test(action)) return 'grape';
  return 'gray';
}

/** Account → Audit log: who imported, exported or changed what, and when; never a secret. */
export function AuditLogPage() {
  useDocumentTitle('Audit log · sipcreds');
  const [params, setParams] = useSearchParams();
  const filters = readFilters(params);
  const page = readPage(params);

  const options = useQuery({ queryKey: auditFilterOptionsKey, queryFn: fetchAuditFilterOptions });
  const query = useQuery({
    queryKey: auditEventsKey(page, filters),
    queryFn: () => fetchAuditEvents(page, filters),
    placeholderData: keepPreviousData,
  });
  const data = query.data;
  const pages = data ? Math.max(1, Math.ceil(data.total / data.page_size)) : 1;
  const filtered = FILTER_KEYS.some((key) => filters[key] !== '');

  function update(next: Partial<AuditFilters>, nextPage = 1) {
    const merged = { ...filters, ...next };
    const search = new URLSearchParams();
    for (const key of FILTER_KEYS) if (merged[key]) search.set(key, merged[key]);
    if (nextPage > 1) search.set('page', String(nextPage));
    setParams(search);
  }

  const actionOptions = (options.data?.actions ?? []).map((a) => ({ value: a.value, label: a.label }));
  // A filter from a bookmarked address stays selectable even when it no longer occurs.
  if (filters.action && !actionOptions.some((a) => a.value === filters.action)) {
    actionOptions.push({ value: filters.action, label: filters.action });
  }
  const actorOptions = [...(options.data?.actors ?? [])];
  if (filters.actor && !actorOptions.includes(filters.actor)) actorOptions.push(filters.actor);

  return (
    <Stack gap="lg" maw={1200}>
      <Stack gap="xs">
        <Title order={2}>Audit log</Title>
        <Text>
          Who in your account imported, exported, saved passwords, created, cloned or deleted credentials, and when.
          Passwords and TOTP secrets are never recorded here.
        </Text>
      </Stack>

      <Group align="flex-end" gap="sm" component="search" aria-label="Filter the audit log">
        <Select
          label="Action"
          placeholder="All actions"
          data={actionOptions}
          value={filters.action || null}
          onChange={(value) => update({ action: value ?? '' })}
          clearable
          searchable
          w={220}
        />
        <Select
          label="User"
          placeholder="All users"
          data={actorOptions}
          value={filters.actor || null}
          onChange={(value) => update({ actor: value ?? '' })}
          clearable
          searchable
          w={240}
        />
        <TextInput
          label="From"
          type="date"
          value={filters.from}
          max={filters.to || undefined}
          onChange={(event) => update({ from: event.currentTarget.value })}
          w={160}
        />
        <TextInput
          label="To"
          type="date"
          value={filters.to}
          min={filters.from || undefined}
          onChange={(event) => update({ to: event.currentTarget.value })}
          w={160}
        />
        {filtered && (
          <Button variant="subtle" onClick={() => update(EMPTY_AUDIT_FILTERS)}>
            Clear filters
          </Button>
        )}
      </Group>

      {query.isError && (
        <Alert color="red" role="alert" title="The audit log could not be loaded">
          {errorMessage(query.error)}
        </Alert>
      )}
      {query.isPending && <Skeleton h={240} />}
      {data && data.total === 0 && (
        <Text c="dimmed">
          {filtered ? 'No event matches these filters.' : 'Nothing has happened in this account yet.'}
        </Text>
      )}
      {data && data.total > 0 && (
        <>
          <Table.ScrollContainer minWidth={640}>
            <Table aria-label="Audit log" highlightOnHover verticalSpacing="sm">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col" w={190}>
                    When
                  </Table.Th>
                  <Table.Th scope="col">What happened</Table.Th>
                  <Table.Th scope="col" w={220}>
                    Action
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {data.items.map((event: AuditEvent) => (
                  <Table.Tr key={event.id}>
                    <Table.Td c="dimmed" style={{ whiteSpace: 'nowrap' }}>
                      <When iso={event.created_at} />
                    </Table.Td>
                    <Table.Td>{event.summary}</Table.Td>
                    <Table.Td>
                      <Badge variant="light" color={badgeColor(event.action)} tt="none">
                        {event.action_label}
                      </Badge>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <Group justify="space-between">
            <Text size="sm" c="dimmed">
              {data.total.toLocaleString()} {data.total === 1 ? 'event' : 'events'}
              {pages > 1 && ` · page ${data.page} of ${pages}`}
            </Text>
            <Pager label="Audit log pages" total={pages} value={page} onChange={(next) => update({}, next)} />
          </Group>
        </>
      )}
    </Stack>
  );
}
