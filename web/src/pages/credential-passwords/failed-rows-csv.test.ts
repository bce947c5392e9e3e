import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { buildFailedRowsCsv, CSV_HEADER, detectDelimiter, failedRowsFilename } from './failed-rows-csv.ts';

const header = CSV_HEADER.join(',');

function read(csv: string): string[][] {
  return parse(csv, { bom: true, relax_column_count: true });
}

describe('Download failed rows', () => {
  it('gives back the header and just the failed rows, values exactly as the user wrote them', () => {
    const source = [
      header,
      '12,345,1001,sip.example.com,Alice,1001,new-pass,',
      '"",,"0042","sip.example.com","Bob, the ""builder""",0042,"  spaced pass  ",JBSWY3DPEHPK3PXP',
      ',,1003,sip.example.com,Carol,1003,,',
      ',,+4930,sip.example.com,"multi\nline",+4930,pässwörd,',
    ].join('\r\n');
    const result = buildFailedRowsCsv(source, [
      { row: 5, username: '+4930' },
      { row: 3, username: '0042' },
    ]);
    expect(result.kind).toBe('ok');
    if (result.kind !== 'ok') return;
    expect(result.rows).toBe(2);
    expect(result.csv.startsWith('\uFEFF')).toBe(true);
    expect(read(result.csv)).toEqual([
      [...CSV_HEADER],
      ['', '', '0042', 'sip.example.com', 'Bob, the "builder"', '0042', '  spaced pass  ', 'JBSWY3DPEHPK3PXP'],
      ['', '', '+4930', 'sip.example.com', 'multi\nline', '+4930', 'pässwörd', ''],
    ]);
  });

  it('counts rows as a spreadsheet does: a quoted line break stays inside one row', () => {
    const source = `${header}\n,,a,d,"two\nlines",a,p,\n,,b,d,x,b,,\n`;
    const result = buildFailedRowsCsv(source, [{ row: 3, username: 'b' }]);
    expect(result.kind === 'ok' && read(result.csv)[1]?.[2]).toBe('b');
  });

  it('numbers rows as the server does: a blank line is a row, and line ends may be mixed', () => {
    const source = `${header}\r\n,,a,d,x,a,p,\n\n,,b,d,x,b,,\r,,c,d,x,c,p,`;
    const result = buildFailedRowsCsv(source, [
      { row: 4, username: 'b' },
      { row: 5, username: 'c' },
    ]);
    expect(result.kind === 'ok' && read(result.csv).map((record) => record[2])).toEqual(['username', 'b', 'c']);
  });

  it('keeps a row with the wrong number of cells as it was', () => {
    const source = `${header}\n,,a,d,x,a,p\n`;
    const result = buildFailedRowsCsv(source, [{ row: 2, username: '' }]);
    expect(result.kind === 'ok' && read(result.csv)[1]).toEqual(['', '', 'a', 'd', 'x', 'a', 'p']);
  });

  it('reads a file saved with semicolons and writes the import format back', () => {
    const source = `\uFEFF${CSV_HEADER.join(';')}\r\n1;2;u1;d;x;u1;p;\r\n;;u2;d;"a;b";u2;;\r\n`;
    expect(detectDelimiter(source)).toBe(';');
    const result = buildFailedRowsCsv(source, [{ row: 3, username: 'u2' }]);
    expect(result.kind).toBe('ok');
    if (result.kind === 'ok') expect(read(result.csv)[1]).toEqual(['', '', 'u2', 'd', 'a;b', 'u2', '', '']);
  });

  it('refuses rather than hand back the wrong rows when the file does not match the results', () => {
    const source = `${header}\n,,a,d,x,a,p,\n`;
    expect(buildFailedRowsCsv(source, [{ row: 2, username: 'someone-else' }]).kind).toBe('mismatch');
    expect(buildFailedRowsCsv(source, [{ row: 9, username: 'a' }]).kind).toBe('mismatch');
  });

  it('says so when the file cannot be read', () => {
    const result = buildFailedRowsCsv(`${header}\n,,"a,d`, [{ row: 2, username: 'a' }]);
    expect(result.kind).toBe('unreadable');
  });

  it('names the file after the original', () => {
    expect(failedRowsFilename('rotation.csv')).toBe('rotation-failed-rows.csv');
    expect(failedRowsFilename(undefined)).toBe('pasted-failed-rows.csv');
  });
});
