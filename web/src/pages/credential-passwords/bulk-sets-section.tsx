import { Alert, Button, Group, Skeleton, Stack, Table, Text, Title, VisuallyHidden } from '@mantine/core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { errorMessage } from '../../api/http-client.ts';
import { Pager } from '../../ui/pager.tsx';
import { useDownload } from '../../ui/use-download.ts';
import { bulkSetsKey, downloadPaths, fetchBulkSets } from './credential-passwords.api.ts';

/** Sets with more than 5 entries: no inline editing, an export per set to edit and re-import. */
export function BulkSetsSection() {
  const [page, setPage] = useState(1);
  const query = useQuery({
    queryKey: bulkSetsKey(page),
    queryFn: () => fetchBulkSets(page),
    placeholderData: keepPreviousData,
  });
  const { download, pending } = useDownload();
  const data = query.data;
  const pages = data ? Math.max(1, Math.ceil(data.total / data.page_size)) : 1;

  return (
    <Stack gap="sm" component="section" aria-labelledby="bulk-sets-title">
      <Title order={3} id="bulk-sets-title">
        Bulk credential sets
      </Title>
      <Text size="sm" c="dimmed">
        Sets with more than 5 entries are not edited on this page. Export a set, change its passwords (and other fields
        if needed) in the file, and import it again with the same <code>multi_credential_pool_id</code> and{' '}
        <code>entry_id</code>.
      </Text>
      {query.isError && (
        <Alert color="red" role="alert">
          {errorMessage(query.error)}
        </Alert>
      )}
      {query.isPending && <Skeleton h={120} />}
      {data && data.total === 0 && (
        <Text size="sm" c="dimmed">
          No credential set has more than 5 entries.
        </Text>
      )}
      {data && data.total > 0 && (
        <>
          <Table.ScrollContainer minWidth={480}>
            <Table aria-label="Bulk credential sets" highlightOnHover>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">Credential set</Table.Th>
                  <Table.Th scope="col">Set id</Table.Th>
                  <Table.Th scope="col">Entries</Table.Th>
                  <Table.Th scope="col">
                    <VisuallyHidden>Export</VisuallyHidden>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {data.items.map((set) => {
                  const path = downloadPaths.setExport(set.multi_credential_pool_id);
                  return (
                    <Table.Tr key={set.multi_credential_pool_id}>
                      <Table.Td>{set.name}</Table.Td>
                      <Table.Td c="dimmed">{set.multi_credential_pool_id}</Table.Td>
                      <Table.Td>{set.entry_count}</Table.Td>
                      <Table.Td>
                        <Group justify="flex-end">
                          <Button
                            size="xs"
                            variant="default"
                            loading={pending === path}
                            aria-label={`Export CSV of ${set.name}`}
                            onClick={() => void download(path, `credential-set-${set.multi_credential_pool_id}.csv`)}
                          >
                            Export CSV
                          </Button>
                        </Group>
                      </Table.Td>
                    </Table.Tr>
                  );
                })}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <Group justify="space-between">
            <Text size="sm" c="dimmed">
              {data.total} {data.total === 1 ? 'set' : 'sets'}
            </Text>
            <Pager label="Bulk credential sets pages" total={pages} value={page} onChange={setPage} />
          </Group>
        </>
      )}
    </Stack>
  );
}
