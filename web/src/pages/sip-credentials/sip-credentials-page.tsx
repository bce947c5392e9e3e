import { Route, Routes } from 'react-router-dom';
import { NotFoundPage } from '../not-found/not-found-page.tsx';
import { SetDetailView } from './set-detail-view.tsx';
import { SetListView } from './set-list-view.tsx';

/**
 * SIP Credentials (main menu): /sip-credentials lists the credential sets, /sip-credentials/:setId
 * shows one set and its entries. The shell mounts this page at /sip-credentials/*.
 */
export function SipCredentialsPage() {
  return (
    <Routes>
      <Route index element={<SetListView />} />
      <Route path=":setId" element={<SetDetailView />} />
      <Route path="*" element={<NotFoundPage />} />
    </Routes>
  );
}
