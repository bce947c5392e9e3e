import { Alert, Anchor, Button, Group, Skeleton, Stack, Table, Text, Title } from '@mantine/core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { errorMessage } from '../../api/http-client.ts';
import { Pager } from '../../ui/pager.tsx';
import { ProjectDialog } from './dialogs.tsx';
import { fetchProjects, formatDate, plural, projectKeys, projectPath } from './projects.api.ts';

/** Projects: each holds registration tests that check credentials still register. */
export function ProjectListView() {
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const page = Math.max(1, Number(params.get('page')) || 1);
  const [creating, setCreating] = useState(false);
  const projects = useQuery({
    queryKey: projectKeys.list(page),
    queryFn: () => fetchProjects(page),
    placeholderData: keepPreviousData,
  });
  const data = projects.data;

  return (
    <Stack gap="lg" maw={1200}>
      <Stack gap="xs">
        <Title order={2}>Projects</Title>
        <Text>
          A project holds registration tests. A test names a credential set and the registrar to reach; running it
          registers the first entries of the set with their current passwords, and shows what the registrar answered for
          each. Run one after a password rotation to confirm that registration still succeeds.
        </Text>
        <Text size="sm">
          The credentials themselves are kept under{' '}
          <Anchor component={Link} to="/sip-credentials">
            SIP Credentials
          </Anchor>{' '}
          and rotated in bulk on{' '}
          <Anchor component={Link} to="/account/credential-passwords">
            Account → Credential Passwords
          </Anchor>
          .
        </Text>
      </Stack>

      <Group>
        <Button onClick={() => setCreating(true)}>New project</Button>
      </Group>

      {projects.isError && (
        <Alert color="red" role="alert" title="Could not load the projects">
          {errorMessage(projects.error)}
        </Alert>
      )}
      {projects.isPending && <Skeleton h={120} />}
      {data && data.total === 0 && (
        <Text c="dimmed" role="status">
          There are no projects yet. Create one, then add a registration test to it.
        </Text>
      )}
      {data && data.total > 0 && (
        <>
          <Table.ScrollContainer minWidth={560}>
            <Table aria-label="Projects" highlightOnHover verticalSpacing="sm">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">Name</Table.Th>
                  <Table.Th scope="col">Description</Table.Th>
                  <Table.Th scope="col" ta="right">
                    Tests
                  </Table.Th>
                  <Table.Th scope="col">Updated</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {data.items.map((p) => (
                  <Table.Tr key={p.id}>
                    <Table.Td>
                      <Anchor component={Link} to={projectPath(p.id)} fw={500}>
                        {p.name}
                      </Anchor>
                    </Table.Td>
                    <Table.Td c="dimmed">{p.description}</Table.Td>
                    <Table.Td ta="right">{p.test_count}</Table.Td>
                    <Table.Td c="dimmed">{formatDate(p.updated_at)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <Group justify="space-between">
            <Text size="sm" c="dimmed" role="status">
              {plural(data.total, 'project')}
            </Text>
            <Pager
              label="Project pages"
              total={Math.max(1, Math.ceil(data.total / data.page_size))}
              value={page}
              onChange={(p) => setParams(p === 1 ? {} : { page: String(p) }, { replace: true })}
            />
          </Group>
        </>
      )}

      <ProjectDialog
        opened={creating}
        onClose={() => setCreating(false)}
        onSaved={(project) => navigate(projectPath(project.id))}
      />
    </Stack>
  );
}
