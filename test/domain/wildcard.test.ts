import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { matchesWildcard, wildcardToLike } from '../../src/domain/wildcard.ts';

describe('wildcardToLike', () => {
  const cases: Array<[string, string]> = [
    ['1001', '1001'],
    ['10*', '10%'],
    ['*desk*', '%desk%'],
    ['a**b', 'a%b'],
    ['*', '%'],
    ['100%', '100\\%'],
    ['user_1', 'user\\_1'],
    ['back\\slash', 'back\\\\slash'],
    ['*_%\\*', '%\\_\\%\\\\%'],
    ['Müller?', 'Müller?'],
  ];
  for (const [filter, pattern] of cases) {
    it(`turns ${JSON.stringify(filter)} into LIKE ${JSON.stringify(pattern)} ESCAPE '\\'`, () => {
      expect(wildcardToLike(filter)).toEqual({ pattern, escape: '\\' });
    });
  }
});

describe('matchesWildcard: * is a wildcard, no * means an exact match, case-insensitive', () => {
  const cases: Array<[string, string, boolean]> = [
    ['1001', '1001', true],
    ['1001', '10011', false], // no * means exact, not "contains"
    ['1001', '01001', false],
    ['10*', '1001', true],
    ['10*', '10', true],
    ['10*', '2010', false],
    ['*desk', 'Front Desk', true],
    ['*DESK*', 'front desk 2', true],
    ['*', '', true],
    ['a*b*c', 'aXXbYYc', true],
    ['a*b*c', 'aXXcYYb', false],
    ['user_1', 'userX1', false], // _ is literal
    ['100%', '1000', false], // % is literal
    ['100%', '100%', true],
    ['a.c', 'abc', false], // regular-expression characters are literal
    ['(x)', '(X)', true],
    ['MÜLLER', 'müller', true],
    ['*\\*', 'a\\b\\', true],
    ['line*', 'line one\nline two', true],
  ];
  for (const [filter, value, expected] of cases) {
    it(`${JSON.stringify(filter)} ${expected ? 'matches' : 'does not match'} ${JSON.stringify(value)}`, () => {
      expect(matchesWildcard(filter, value)).toBe(expected);
    });
  }

  it('a filter without * matches exactly the values equal to it, ignoring case', () => {
    const ascii = fc.string({ unit: fc.constantFrom('a', 'B', '1', '_', '%', '.', ' ', '\\') });
    fc.assert(
      fc.property(ascii, ascii, (filter, value) => {
        expect(matchesWildcard(filter, value)).toBe(filter.toLowerCase() === value.toLowerCase());
        expect(matchesWildcard(filter, filter.toUpperCase())).toBe(true);
      }),
    );
  });

  it('a value always matches *, and any filter made of its own prefix plus *', () => {
    fc.assert(
      fc.property(fc.string(), fc.nat(), (value, cut) => {
        const prefix = value.slice(0, cut % (value.length + 1)).replaceAll('*', '');
        expect(matchesWildcard('*', value)).toBe(true);
        if (!value.slice(0, cut % (value.length + 1)).includes('*'))
          expect(matchesWildcard(`${prefix}*`, value)).toBe(true);
      }),
    );
  });
});
