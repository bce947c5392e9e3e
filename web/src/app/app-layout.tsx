import { AppShell, Box, Burger, Button, Group, NavLink, ScrollArea, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { NavLink as RouterNavLink, Outlet, useLocation, useNavigate } from 'react-router-dom';
import { errorMessage } from '../api/http-client.ts';
import { logOut, SESSION_QUERY_KEY, type Session } from '../api/session.ts';
import { ReauthPromptProvider } from '../ui/reauth-prompt.tsx';

export function AppLayout({ session }: { session: Session }) {
  const [navOpened, nav] = useDisclosure(false);
  const location = useLocation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [loggingOut, setLoggingOut] = useState(false);

  async function handleLogout() {
    setLoggingOut(true);
    try {
      await logOut();
    } catch (error) {
      notifications.show({ color: 'red', title: 'Logout', message: errorMessage(error) });
    } finally {
      queryClient.clear();
      queryClient.setQueryData(SESSION_QUERY_KEY, null);
      setLoggingOut(false);
      navigate('/login', { replace: true });
    }
  }

  const accountOpen = location.pathname.startsWith('/account');

  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: 260, breakpoint: 'sm', collapsed: { mobile: !navOpened } }}
      padding="lg"
    >
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={navOpened} onClick={nav.toggle} hiddenFrom="sm" size="sm" aria-label="Toggle navigation" />
            <Title order={1} size="h4">
              sipcreds
            </Title>
          </Group>
          <Group gap="md" wrap="nowrap">
            <Box visibleFrom="xs" ta="right">
              <Text size="sm" fw={500} lh={1.2}>
                {session.account.name}
              </Text>
              <Text size="xs" c="dimmed" lh={1.2}>
                {session.user.email}
              </Text>
            </Box>
            <Button variant="default" size="xs" onClick={() => void handleLogout()} loading={loggingOut}>
              Log out
            </Button>
          </Group>
        </Group>
      </AppShell.Header>

      <AppShell.Navbar p="xs" aria-label="Main menu">
        <ScrollArea>
          <NavLink label="Account" defaultOpened childrenOffset={16} active={accountOpen} variant="subtle">
            <MenuLink to="/account/credential-passwords" label="Credential Passwords" onNavigate={nav.close} />
            <MenuLink to="/account/audit-log" label="Audit log" onNavigate={nav.close} />
          </NavLink>
          <MenuLink to="/sip-credentials" label="SIP Credentials" onNavigate={nav.close} />
          <MenuLink to="/projects" label="Projects" onNavigate={nav.close} />
        </ScrollArea>
      </AppShell.Navbar>

      <AppShell.Main>
        <ReauthPromptProvider>
          <Outlet />
        </ReauthPromptProvider>
      </AppShell.Main>
    </AppShell>
  );
}

function MenuLink({ to, label, onNavigate }: { to: string; label: string; onNavigate: () => void }) {
  const location = useLocation();
  const active = location.pathname === to || location.pathname.startsWith(`${to}/`);
  return (
    <NavLink
      component={RouterNavLink}
      to={to}
      label={label}
      active={active}
      onClick={onNavigate}
      aria-current={active ? 'page' : undefined}
    />
  );
}
