// The page's column filters: case-insensitive, `*` matches any run of characters (also none), and
// a filter without `*` matches the whole value exactly. Every other character is literal.

export interface LikePattern {
  /** For `LIKE … ESCAPE '\'`: `%` where the filter had `*`, and `%`, `_` and `\` escaped. */
  pattern: string;
  escape: '\\';
}

/**
 * Turns a filter into a SQL LIKE pattern. The caller compares case-insensitively (`ILIKE` on
 * PostgreSQL; SQLite's LIKE folds ASCII case only) and skips blank filters, which would match
 * only empty values.
 */
export function wildcardToLike(filter: string): LikePattern {
  let pattern = '';
  let previousStar = false;
  for (const ch of filter) {
    if (ch === '*') {
      if (!previousStar) pattern += '%';
      previousStar = true;
      continue;
    }
    previousStar = false;
    pattern += ch === '%' || ch === '_' || ch === '\\' ? `\\${ch}` : ch;
  }
  return { pattern, escape: '\\' };
}

/** The same filter applied in memory: true when `value` matches `filter`, case-insensitively. */
export function matchesWildcard(filter: string, value: string): boolean {
  const source = filter
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'))
    .join('[\\s\\S]*');
  return new RegExp(`^${source}$`, 'iu').test(value);
}
