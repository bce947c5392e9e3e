import { Alert, Anchor, Stack, Text, Title } from '@mantine/core';
import { useDocumentTitle } from '@mantine/hooks';
import type { ReactNode } from 'react';
import { Link } from 'react-router-dom';

/**
 * An honest placeholder for a page another part of the project has not built yet: it says so, says
 * what the page will be for, and points to what already works instead of showing made-up data.
 */
export function NotBuiltYet({ title, purpose }: { title: string; purpose: ReactNode }) {
  useDocumentTitle(`${title} · sipcreds`);
  return (
    <Stack maw={720} gap="md">
      <Title order={2}>{title}</Title>
      <Alert color="gray" role="note" title="This page is not built yet" variant="light">
        <Stack gap="xs">
          <Text size="sm">{purpose}</Text>
          <Text size="sm">
            Nothing on this page works yet. Until it does, you can import, export and rotate credentials on{' '}
            <Anchor component={Link} to="/account/credential-passwords">
              Account → Credential Passwords
            </Anchor>
            .
          </Text>
        </Stack>
      </Alert>
    </Stack>
  );
}
