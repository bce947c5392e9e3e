import { NotBuiltYet } from '../../ui/not-built-yet.tsx';

export function SipCredentialsPage() {
  return (
    <NotBuiltYet
      title="SIP Credentials"
      purpose="Here you will create, edit, clone and delete credential sets and their entries, rename sets and manage tags."
    />
  );
}
