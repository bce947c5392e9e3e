import { Alert, Anchor, Breadcrumbs, Button, Group, Paper, Skeleton, Stack, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router-dom';
import { ApiError, errorMessage } from '../../api/http-client.ts';
import { ConfirmDeleteDialog } from './dialogs.tsx';
import {
  deleteTest,
  fetchProject,
  fetchTest,
  idParam,
  projectKeys,
  projectPath,
  PROJECTS_PATH,
  startRun,
  updateTest,
  type RegistrationTest,
} from './projects.api.ts';
import { EarlierRuns, RunPanel } from './run-panel.tsx';
import { initialTestForm, TestFormFields, testFieldsOf, type TestFormState } from './test-form.tsx';

/** One registration test: its configuration, a Run button, the run's per-entry results, earlier runs. */
export function TestView() {
  const params = useParams();
  const projectId = idParam(params.projectId);
  const testId = idParam(params.testId);
  const test = useQuery({
    queryKey: projectKeys.test(testId ?? 0),
    queryFn: () => fetchTest(testId!),
    enabled: testId !== null,
  });
  const project = useQuery({
    queryKey: projectKeys.detail(projectId ?? 0),
    queryFn: () => fetchProject(projectId!),
    enabled: projectId !== null,
  });
  const notFound =
    testId === null ||
    projectId === null ||
    (test.error instanceof ApiError && test.error.status === 404) ||
    (test.data !== undefined && test.data.project_id !== projectId);

  return (
    <Stack gap="lg" maw={1200}>
      <Breadcrumbs>
        <Anchor component={Link} to={PROJECTS_PATH}>
          Projects
        </Anchor>
        {projectId !== null && (
          <Anchor component={Link} to={projectPath(projectId)}>
            {project.data?.name ?? '…'}
          </Anchor>
        )}
        <Text size="sm">{notFound ? 'Not found' : (test.data?.name ?? '…')}</Text>
      </Breadcrumbs>
      {notFound && (
        <Alert color="gray" title="This test does not exist" role="alert">
          It may have been deleted, or the address is wrong.{' '}
          <Anchor component={Link} to={projectId !== null ? projectPath(projectId) : PROJECTS_PATH}>
            Back to the project
          </Anchor>
          .
        </Alert>
      )}
      {test.isError && !notFound && (
        <Alert color="red" role="alert" title="Could not load the test">
          {errorMessage(test.error)}
        </Alert>
      )}
      {test.isPending && !notFound && <Skeleton h={300} />}
      {test.data && !notFound && <TestDetail key={test.data.id} test={test.data} />}
    </Stack>
  );
}

function sameForm(a: TestFormState, b: TestFormState): boolean {
  return JSON.stringify(testFieldsOf(a)) === JSON.stringify(testFieldsOf(b));
}

function TestDetail({ test }: { test: RegistrationTest }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [params, setParams] = useSearchParams();
  const [form, setForm] = useState(() => initialTestForm(test));
  const [saved, setSaved] = useState(() => initialTestForm(test));
  const [deleting, setDeleting] = useState(false);
  const [focusRunId, setFocusRunId] = useState<number | null>(null);
  const dirty = !sameForm(form, saved);

  // The run on show: the one in the address, else the latest.
  const selectedRunId = idParam(params.get('run') ?? undefined) ?? test.last_run?.id ?? null;
  const showRun = (id: number) =>
    setParams(
      (current) => {
        const next = new URLSearchParams(current);
        next.set('run', String(id));
        return next;
      },
      { replace: true },
    );

  const refresh = () => queryClient.invalidateQueries({ queryKey: projectKeys.all });

  const save = useMutation({
    mutationFn: () => updateTest(test.id, testFieldsOf(form)),
    onSuccess: async (updated) => {
      const fresh = initialTestForm(updated);
      setForm(fresh);
      setSaved(fresh);
      queryClient.setQueryData(projectKeys.test(test.id), updated);
      await refresh();
    },
  });

  const run = useMutation({
    mutationFn: async () => {
      if (dirty) await save.mutateAsync();
      return startRun(test.id);
    },
    onSuccess: async (started) => {
      queryClient.setQueryData(projectKeys.run(started.id), started);
      showRun(started.id);
      setFocusRunId(started.id);
      await refresh();
    },
    onError: (error) =>
      notifications.show({ color: 'red', title: 'The test did not start', message: errorMessage(error) }),
  });

  useEffect(() => {
    // Leaving with unsaved changes loses them; the browser asks first.
    if (!dirty) return;
    const warn = (event: BeforeUnloadEvent) => event.preventDefault();
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [dirty]);

  return (
    <>
      <Group justify="space-between" align="flex-start">
        <Stack gap={4}>
          <Title order={2}>{test.name}</Title>
          <Text c="dimmed" size="sm">
            Registration test: REGISTER with digest authentication for each entry, then unregister.
          </Text>
        </Stack>
        <Group gap="sm">
          <Button onClick={() => run.mutate()} loading={run.isPending}>
            {dirty ? 'Save and run test' : 'Run test'}
          </Button>
          <Button variant="default" color="red" onClick={() => setDeleting(true)}>
            Delete test
          </Button>
        </Group>
      </Group>

      <Paper withBorder p="md" component="section" aria-labelledby="test-config-title">
        <form
          noValidate
          onSubmit={(event) => {
            event.preventDefault();
            if (dirty && !save.isPending) save.mutate();
          }}
        >
          <Stack gap="md">
            <Title order={3} size="h4" id="test-config-title">
              Test configuration
            </Title>
            <TestFormFields value={form} onChange={setForm} />
            <Text size="sm" c="dimmed">
              A run loads the credentials when it starts: passwords changed later take effect on the next run.
            </Text>
            {save.isError && (
              <Alert color="red" role="alert" title="Not saved">
                {errorMessage(save.error)}
              </Alert>
            )}
            <Group gap="sm">
              <Button type="submit" variant={dirty ? 'filled' : 'default'} disabled={!dirty} loading={save.isPending}>
                Save changes
              </Button>
              {dirty && (
                <Button
                  variant="subtle"
                  onClick={() => {
                    setForm(saved);
                    save.reset();
                  }}
                >
                  Discard changes
                </Button>
              )}
              {!dirty && save.isSuccess && (
                <Text size="sm" c="green.8" role="status">
                  Saved.
                </Text>
              )}
            </Group>
          </Stack>
        </form>
      </Paper>

      {selectedRunId !== null ? (
        <RunPanel runId={selectedRunId} onFinished={refresh} scrollIntoView={focusRunId === selectedRunId} />
      ) : (
        <Text c="dimmed" role="status">
          This test has not run yet. Run test registers its entries and shows the registrar’s answer for each.
        </Text>
      )}

      <EarlierRuns
        testId={test.id}
        selectedRunId={selectedRunId}
        onSelect={(id) => {
          showRun(id);
          setFocusRunId(id);
        }}
      />

      <ConfirmDeleteDialog
        opened={deleting}
        title={`Delete test "${test.name}"?`}
        confirmLabel="Delete test"
        onClose={() => setDeleting(false)}
        onConfirm={async () => {
          await deleteTest(test.id);
          queryClient.removeQueries({ queryKey: projectKeys.test(test.id) });
          await refresh();
          navigate(projectPath(test.project_id), { replace: true });
        }}
      >
        Its runs and their results are deleted with it. The credential set stays as it is.
      </ConfirmDeleteDialog>
    </>
  );
}
