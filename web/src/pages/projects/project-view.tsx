import { Alert, Anchor, Breadcrumbs, Button, Group, Skeleton, Stack, Table, Text, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { ApiError, errorMessage } from '../../api/http-client.ts';
import { ConfirmDeleteDialog, FormDialog, ProjectDialog } from './dialogs.tsx';
import {
  createTest,
  deleteProject,
  describeRegistrar,
  fetchProject,
  fetchTests,
  formatDate,
  idParam,
  plural,
  projectKeys,
  PROJECTS_PATH,
  testPath,
  type Project,
  type RegistrationTest,
} from './projects.api.ts';
import { RunStatusBadge } from './status-badge.tsx';
import { initialTestForm, TestFormFields, testFieldsOf } from './test-form.tsx';

/** One project: its registration tests, and the way to add one. */
export function ProjectView() {
  const projectId = idParam(useParams().projectId);
  const project = useQuery({
    queryKey: projectKeys.detail(projectId ?? 0),
    queryFn: () => fetchProject(projectId!),
    enabled: projectId !== null,
  });
  const notFound = projectId === null || (project.error instanceof ApiError && project.error.status === 404);

  return (
    <Stack gap="lg" maw={1200}>
      <Breadcrumbs>
        <Anchor component={Link} to={PROJECTS_PATH}>
          Projects
        </Anchor>
        <Text size="sm">{project.data?.name ?? (notFound ? 'Not found' : '…')}</Text>
      </Breadcrumbs>
      {notFound && (
        <Alert color="gray" title="This project does not exist" role="alert">
          It may have been deleted, or the address is wrong.{' '}
          <Anchor component={Link} to={PROJECTS_PATH}>
            Back to all projects
          </Anchor>
          .
        </Alert>
      )}
      {project.isError && !notFound && (
        <Alert color="red" role="alert" title="Could not load the project">
          {errorMessage(project.error)}
        </Alert>
      )}
      {project.isPending && !notFound && <Skeleton h={200} />}
      {project.data && <ProjectDetail project={project.data} />}
    </Stack>
  );
}

function ProjectDetail({ project }: { project: Project }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [creating, setCreating] = useState(false);
  const tests = useQuery({ queryKey: projectKeys.tests(project.id), queryFn: () => fetchTests(project.id) });

  return (
    <>
      <Group justify="space-between" align="flex-start">
        <Stack gap={4}>
          <Title order={2}>{project.name}</Title>
          {project.description && <Text c="dimmed">{project.description}</Text>}
        </Stack>
        <Group gap="sm">
          <Button variant="default" onClick={() => setEditing(true)}>
            Edit project
          </Button>
          <Button variant="default" color="red" onClick={() => setDeleting(true)}>
            Delete project
          </Button>
        </Group>
      </Group>

      <Stack gap="sm">
        <Group justify="space-between">
          <Title order={3}>Registration tests</Title>
          <Button onClick={() => setCreating(true)}>New test</Button>
        </Group>
        {tests.isError && (
          <Alert color="red" role="alert" title="Could not load the tests">
            {errorMessage(tests.error)}
          </Alert>
        )}
        {tests.isPending && <Skeleton h={120} />}
        {tests.data && tests.data.items.length === 0 && (
          <Text c="dimmed" role="status">
            This project has no tests yet. A test names a credential set and the registrar; add one with New test.
          </Text>
        )}
        {tests.data && tests.data.items.length > 0 && (
          <Table.ScrollContainer minWidth={760}>
            <Table aria-label="Registration tests" highlightOnHover verticalSpacing="sm">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">Test</Table.Th>
                  <Table.Th scope="col">Credential set</Table.Th>
                  <Table.Th scope="col">Registrar</Table.Th>
                  <Table.Th scope="col">Transport</Table.Th>
                  <Table.Th scope="col" ta="right">
                    Entries
                  </Table.Th>
                  <Table.Th scope="col">Last run</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {tests.data.items.map((t) => (
                  <TestRow key={t.id} test={t} />
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Stack>

      <ProjectDialog opened={editing} project={project} onClose={() => setEditing(false)} />
      <ConfirmDeleteDialog
        opened={deleting}
        title={`Delete project "${project.name}"?`}
        confirmLabel="Delete project"
        onClose={() => setDeleting(false)}
        onConfirm={async () => {
          await deleteProject(project.id);
          queryClient.removeQueries({ queryKey: projectKeys.detail(project.id) });
          await queryClient.invalidateQueries({ queryKey: projectKeys.all });
          navigate(PROJECTS_PATH, { replace: true });
        }}
      >
        {tests.data && tests.data.items.length > 0
          ? `Its ${plural(tests.data.items.length, 'test')} and all their runs are deleted with it. The credential sets stay as they are.`
          : 'The credential sets stay as they are.'}
      </ConfirmDeleteDialog>
      <NewTestDialog
        opened={creating}
        projectId={project.id}
        onClose={() => setCreating(false)}
        onCreated={(test) => navigate(testPath(project.id, test.id))}
      />
    </>
  );
}

function TestRow({ test }: { test: RegistrationTest }) {
  return (
    <Table.Tr>
      <Table.Td>
        <Anchor component={Link} to={testPath(test.project_id, test.id)} fw={500}>
          {test.name}
        </Anchor>
      </Table.Td>
      <Table.Td>
        {test.credential_set ? (
          test.credential_set.name
        ) : (
          <Text span c="orange.8" size="sm">
            None chosen
          </Text>
        )}
      </Table.Td>
      <Table.Td>{describeRegistrar(test.registrar)}</Table.Td>
      <Table.Td>{test.transport.toUpperCase()}</Table.Td>
      <Table.Td ta="right">{test.entries_to_try}</Table.Td>
      <Table.Td>
        {test.last_run ? (
          <Group gap="xs" wrap="nowrap">
            <RunStatusBadge run={test.last_run} />
            <Text size="xs" c="dimmed">
              {formatDate(test.last_run.created_at)}
            </Text>
          </Group>
        ) : (
          <Text size="sm" c="dimmed">
            Never run
          </Text>
        )}
      </Table.Td>
    </Table.Tr>
  );
}

function NewTestDialog({
  opened,
  projectId,
  onClose,
  onCreated,
}: {
  opened: boolean;
  projectId: number;
  onClose: () => void;
  onCreated: (test: RegistrationTest) => void;
}) {
  const queryClient = useQueryClient();
  const [form, setForm] = useState(initialTestForm());
  const create = useMutation({
    mutationFn: () => createTest(projectId, testFieldsOf(form)),
    onSuccess: async (test) => {
      await queryClient.invalidateQueries({ queryKey: projectKeys.all });
      onClose();
      onCreated(test);
    },
  });
  useEffect(() => {
    if (!opened) return;
    setForm(initialTestForm());
    create.reset();
  }, [opened]);
  return (
    <FormDialog
      opened={opened}
      onClose={onClose}
      title="New registration test"
      submitLabel="Create test"
      pending={create.isPending}
      error={create.error}
      onSubmit={() => create.mutate()}
      size="lg"
    >
      <TestFormFields value={form} onChange={setForm} autoFocus />
    </FormDialog>
  );
}
