import { useQuery } from '@tanstack/react-query';
import { fetchImportJob, importJobsKey, isFinished, type ImportJob } from './credential-passwords.api.ts';

const POLL_MS = 400;

/** Follows an import job until it has finished; the job the POST answered with fills the wait. */
export function useImportJob(id: string | null, initial?: ImportJob) {
  return useQuery({
    queryKey: importJobsKey(id ?? ''),
    queryFn: () => fetchImportJob(id as string),
    enabled: id !== null,
    initialData: initial && initial.id === id ? initial : undefined,
    // The job the POST returned is already fresh; poll only while it is still running.
    staleTime: (query) => (isFinished(query.state.data) ? Infinity : 0),
    refetchInterval: (query) => (isFinished(query.state.data) ? false : POLL_MS),
  });
}
