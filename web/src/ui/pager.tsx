import { Box, Pagination } from '@mantine/core';

/** Page buttons in a labelled navigation landmark, so a screen reader can tell the pagers apart. */
export function Pager({
  label,
  total,
  value,
  onChange,
}: {
  label: string;
  total: number;
  value: number;
  onChange: (page: number) => void;
}) {
  if (total <= 1) return null;
  return (
    <Box component="nav" aria-label={label}>
      <Pagination
        total={total}
        value={value}
        onChange={onChange}
        size="sm"
        getControlProps={(control) => ({ 'aria-label': `${control} page` })}
        getItemProps={(page) => ({ 'aria-label': `Page ${page}` })}
      />
    </Box>
  );
}
