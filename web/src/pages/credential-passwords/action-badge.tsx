import { Badge } from '@mantine/core';
import type { ImportAction } from './credential-passwords.api.ts';

// Colour tells the actions apart at a glance; the word does it for everyone else.
export const ACTION_COLORS: Record<ImportAction, string> = {
  updated: 'green',
  created: 'blue',
  failed: 'red',
};

export function ActionBadge({ action }: { action: ImportAction }) {
  return (
    <Badge
      color={ACTION_COLORS[action]}
      variant={action === 'failed' ? 'filled' : 'light'}
      radius="sm"
      tt="none"
      style={{ minWidth: 'max-content' }}
    >
      {action}
    </Badge>
  );
}
