import { NotBuiltYet } from '../../ui/not-built-yet.tsx';

export function ProjectsPage() {
  return (
    <NotBuiltYet
      title="Projects"
      purpose="Here you will edit test configurations (which credential set a test uses and how to reach the registrar) and run registration tests."
    />
  );
}
