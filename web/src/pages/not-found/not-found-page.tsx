import { Anchor, Stack, Text, Title } from '@mantine/core';
import { Link } from 'react-router-dom';

export function NotFoundPage() {
  return (
    <Stack maw={720}>
      <Title order={2}>Page not found</Title>
      <Text>
        There is no page at this address. Go to{' '}
        <Anchor component={Link} to="/account/credential-passwords">
          Account → Credential Passwords
        </Anchor>
        .
      </Text>
    </Stack>
  );
}
