import { Alert, Button, Group, Modal, Stack, Text, Textarea, TextInput } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { errorMessage } from '../../api/http-client.ts';
import { createProject, projectKeys, updateProject, type Project } from './projects.api.ts';

/** A modal form: focus stays inside, Escape and Cancel close it, Enter submits. */
export function FormDialog({
  opened,
  onClose,
  title,
  submitLabel,
  submitColor,
  pending,
  error,
  onSubmit,
  size = 'md',
  children,
}: {
  opened: boolean;
  onClose: () => void;
  title: string;
  submitLabel: string;
  submitColor?: string;
  pending: boolean;
  error: unknown;
  onSubmit: () => void;
  size?: string;
  children: ReactNode;
}) {
  function submit(event: FormEvent) {
    event.preventDefault();
    if (!pending) onSubmit();
  }
  return (
    <Modal opened={opened} onClose={() => !pending && onClose()} title={title} size={size} trapFocus closeOnEscape>
      <form onSubmit={submit} noValidate>
        <Stack gap="md">
          {children}
          {error ? (
            <Alert color="red" role="alert" title="Not saved">
              {errorMessage(error)}
            </Alert>
          ) : null}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose} disabled={pending}>
              Cancel
            </Button>
            <Button type="submit" color={submitColor} loading={pending}>
              {submitLabel}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

/** New project, or rename / describe one. */
export function ProjectDialog({
  opened,
  project,
  onClose,
  onSaved,
}: {
  opened: boolean;
  project?: Project;
  onClose: () => void;
  onSaved?: (project: Project) => void;
}) {
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const save = useMutation({
    mutationFn: () =>
      project ? updateProject(project.id, { name, description }) : createProject({ name, description }),
    onSuccess: async (saved) => {
      await queryClient.invalidateQueries({ queryKey: projectKeys.all });
      onSaved?.(saved);
      onClose();
    },
  });
  useEffect(() => {
    if (!opened) return;
    setName(project?.name ?? '');
    setDescription(project?.description ?? '');
    save.reset();
  }, [opened]);

  return (
    <FormDialog
      opened={opened}
      onClose={onClose}
      title={project ? 'Edit project' : 'New project'}
      submitLabel={project ? 'Save' : 'Create project'}
      pending={save.isPending}
      error={save.error}
      onSubmit={() => save.mutate()}
    >
      <TextInput
        label="Project name"
        required
        value={name}
        onChange={(e) => setName(e.currentTarget.value)}
        maxLength={200}
        data-autofocus
        autoComplete="off"
      />
      <Textarea
        label="Description"
        description="Optional: what this project checks, for whom."
        value={description}
        onChange={(e) => setDescription(e.currentTarget.value)}
        maxLength={2000}
        autosize
        minRows={2}
      />
    </FormDialog>
  );
}

/** Asks before something is deleted for good, and says what goes with it. */
export function ConfirmDeleteDialog({
  opened,
  title,
  children,
  confirmLabel,
  onConfirm,
  onClose,
}: {
  opened: boolean;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  onConfirm: () => Promise<unknown>;
  onClose: () => void;
}) {
  const remove = useMutation({ mutationFn: onConfirm, onSuccess: onClose });
  useEffect(() => {
    if (opened) remove.reset();
  }, [opened]);
  return (
    <FormDialog
      opened={opened}
      onClose={onClose}
      title={title}
      submitLabel={confirmLabel}
      submitColor="red"
      pending={remove.isPending}
      error={remove.error}
      onSubmit={() => remove.mutate()}
    >
      <Text size="sm">{children}</Text>
    </FormDialog>
  );
}
