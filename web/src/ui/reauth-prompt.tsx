import { Alert, Button, Group, Modal, PasswordInput, Stack, Text } from '@mantine/core';
import { createContext, useCallback, useContext, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { errorMessage } from '../api/http-client.ts';
import { confirmPassword } from '../api/reauth.ts';

type RequestReauth = (reason: string) => Promise<string | null>;

const ReauthContext = createContext<RequestReauth | null>(null);

/**
 * Lets any download ask the user to type their password again when the server asks for it
 * (a plaintext export): resolves with the server's reauth token, or null when the user cancels.
 */
export function ReauthPromptProvider({ children }: { children: ReactNode }) {
  const [reason, setReason] = useState<string | null>(null);
  const resolver = useRef<((token: string | null) => void) | null>(null);

  const request = useCallback<RequestReauth>((why) => {
    resolver.current?.(null);
    setReason(why);
    return new Promise((resolve) => {
      resolver.current = resolve;
    });
  }, []);

  function finish(token: string | null) {
    resolver.current?.(token);
    resolver.current = null;
    setReason(null);
  }

  return (
    <ReauthContext.Provider value={request}>
      {children}
      <Modal opened={reason !== null} onClose={() => finish(null)} title="Confirm your password">
        {reason !== null && <ReauthForm reason={reason} onDone={finish} />}
      </Modal>
    </ReauthContext.Provider>
  );
}

function ReauthForm({ reason, onDone }: { reason: string; onDone: (token: string | null) => void }) {
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onDone(await confirmPassword(password));
    } catch (caught) {
      setError(errorMessage(caught));
      setBusy(false);
    }
  }

  return (
    <form onSubmit={(event) => void submit(event)}>
      <Stack gap="md">
        <Text size="sm">{reason}</Text>
        <PasswordInput
          label="Your sipcreds password"
          autoComplete="current-password"
          value={password}
          onChange={(event) => setPassword(event.currentTarget.value)}
          required
          data-autofocus
        />
        {error && (
          <Alert color="red" role="alert">
            {error}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={() => onDone(null)}>
            Cancel
          </Button>
          <Button type="submit" loading={busy} disabled={password === ''}>
            Confirm
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

export function useReauthPrompt(): RequestReauth {
  const request = useContext(ReauthContext);
  if (!request) throw new Error('useReauthPrompt needs a ReauthPromptProvider above it');
  return request;
}
