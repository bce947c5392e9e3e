import { Alert, Button, Center, Paper, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { useDocumentTitle } from '@mantine/hooks';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Navigate, useLocation, useNavigate } from 'react-router-dom';
import { errorMessage } from '../../api/http-client.ts';
import { logIn, SESSION_QUERY_KEY, useSession } from '../../api/session.ts';
import { HOME_PATH } from '../../app/paths.ts';

export function LoginPage() {
  const session = useSession();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const location = useLocation();
  const from = (location.state as { from?: string } | null)?.from;
  const target = from && from !== '/login' ? from : HOME_PATH;
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  useDocumentTitle('Log in · sipcreds');

  const login = useMutation({
    mutationFn: () => logIn(email.trim(), password),
    onSuccess: (data) => {
      queryClient.setQueryData(SESSION_QUERY_KEY, data);
      navigate(target, { replace: true });
    },
  });

  if (session.data) return <Navigate to={target} replace />;

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!login.isPending) login.mutate();
  }

  return (
    <Center mih="100vh" p="md" bg="gray.0">
      <Paper withBorder shadow="sm" p="xl" w={400} maw="100%" component="main">
        <form onSubmit={submit}>
          <Stack>
            <div>
              <Title order={1} size="h2">
                sipcreds
              </Title>
              <Text c="dimmed" size="sm">
                Log in to manage your SIP credentials.
              </Text>
            </div>
            {login.isError && (
              <Alert color="red" role="alert" title="Could not log in">
                {errorMessage(login.error)}
              </Alert>
            )}
            <TextInput
              label="Email"
              type="email"
              autoComplete="username"
              required
              value={email}
              onChange={(event) => setEmail(event.currentTarget.value)}
              data-autofocus
              autoFocus
            />
            <PasswordInput
              label="Password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(event) => setPassword(event.currentTarget.value)}
            />
            <Button type="submit" loading={login.isPending} fullWidth>
              Log in
            </Button>
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}
