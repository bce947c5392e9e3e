import { describe, expect, it } from 'vitest';
import { filenameFromContentDisposition } from './download.ts';

describe('the file name of a download', () => {
  it('comes from filename*, which wins over filename', () => {
    expect(
      filenameFromContentDisposition(
        `attachment; filename="credentials-2026-12-04.csv"; filename*=UTF-8''credentials-%C3%BC-2026-12-04.csv`,
      ),
    ).toBe('credentials-ü-2026-12-04.csv');
  });

  it('reads a quoted or a bare filename', () => {
    expect(filenameFromContentDisposition('attachment; filename="a \\"b\\".csv"')).toBe('a "b".csv');
    expect(filenameFromContentDisposition('attachment; filename=export.csv')).toBe('export.csv');
  });

  it('never lets a name climb out of the downloads folder', () => {
    expect(filenameFromContentDisposition('attachment; filename="../../etc/passwd"')).toBe('.._.._etc_passwd');
  });

  it('is null when the header names no file', () => {
    expect(filenameFromContentDisposition(null)).toBeNull();
    expect(filenameFromContentDisposition('inline')).toBeNull();
  });
});
