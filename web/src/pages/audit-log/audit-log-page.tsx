import { NotBuiltYet } from '../../ui/not-built-yet.tsx';

export function AuditLogPage() {
  return (
    <NotBuiltYet
      title="Audit log"
      purpose="Here you will see who in your account imported, exported or changed credentials, and when."
    />
  );
}
