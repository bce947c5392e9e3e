import { Center, Loader } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { Navigate, Route, Routes, useLocation } from 'react-router-dom';
import { onUnauthorized } from '../api/http-client.ts';
import { SESSION_QUERY_KEY, useSession } from '../api/session.ts';
import { AuditLogPage } from '../pages/audit-log/audit-log-page.tsx';
import { CredentialPasswordsPage } from '../pages/credential-passwords/credential-passwords-page.tsx';
import { LoginPage } from '../pages/login/login-page.tsx';
import { NotFoundPage } from '../pages/not-found/not-found-page.tsx';
import { ProjectsPage } from '../pages/projects/projects-page.tsx';
import { SipCredentialsPage } from '../pages/sip-credentials/sip-credentials-page.tsx';
import { AppLayout } from './app-layout.tsx';
import { ErrorState } from '../ui/error-state.tsx';

import { HOME_PATH } from './paths.ts';

export function AppRoutes() {
  useSessionExpiry();
  return (
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route element={<RequireSession />}>
        <Route index element={<Navigate to={HOME_PATH} replace />} />
        <Route path="/account" element={<Navigate to={HOME_PATH} replace />} />
        <Route path="/account/credential-passwords" element={<CredentialPasswordsPage />} />
        <Route path="/account/audit-log" element={<AuditLogPage />} />
        <Route path="/sip-credentials/*" element={<SipCredentialsPage />} />
        <Route path="/projects/*" element={<ProjectsPage />} />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}

// A 401 from any request means the session is gone: forget it, which sends the user to /login.
function useSessionExpiry(): void {
  const queryClient = useQueryClient();
  useEffect(() => {
    onUnauthorized(() => {
      const hadSession = queryClient.getQueryData(SESSION_QUERY_KEY) != null;
      queryClient.setQueryData(SESSION_QUERY_KEY, null);
      if (hadSession) {
        notifications.show({
          id: 'session-ended',
          color: 'yellow',
          title: 'Logged out',
          message: 'Your session has ended. Log in again to continue.',
        });
      }
    });
    return () => onUnauthorized(null);
  }, [queryClient]);
}

function RequireSession() {
  const session = useSession();
  const location = useLocation();
  if (session.isPending) {
    return (
      <Center h="100vh">
        <Loader aria-label="Loading" />
      </Center>
    );
  }
  if (session.isError) {
    return <ErrorState error={session.error} onRetry={() => void session.refetch()} />;
  }
  if (!session.data) {
    return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  }
  return <AppLayout session={session.data} />;
}
