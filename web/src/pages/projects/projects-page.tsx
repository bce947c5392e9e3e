import { Route, Routes } from 'react-router-dom';
import { NotFoundPage } from '../not-found/not-found-page.tsx';
import { ProjectListView } from './project-list-view.tsx';
import { ProjectView } from './project-view.tsx';
import { TestView } from './test-view.tsx';

/**
 * Projects (main menu): /projects lists the projects, /projects/:projectId shows a project's
 * registration tests, /projects/:projectId/tests/:testId edits and runs one test. The shell mounts
 * this page at /projects/*.
 */
export function ProjectsPage() {
  return (
    <Routes>
      <Route index element={<ProjectListView />} />
      <Route path=":projectId" element={<ProjectView />} />
      <Route path=":projectId/tests/:testId" element={<TestView />} />
      <Route path="*" element={<NotFoundPage />} />
    </Routes>
  );
}
