import { Alert, Button, Center, Stack } from '@mantine/core';
import { errorMessage } from '../api/http-client.ts';

export function ErrorState({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  return (
    <Center h="100vh" p="md">
      <Stack maw={480}>
        <Alert color="red" title="Could not load sipcreds" role="alert">
          {errorMessage(error)}
        </Alert>
        {onRetry && <Button onClick={onRetry}>Try again</Button>}
      </Stack>
    </Center>
  );
}
