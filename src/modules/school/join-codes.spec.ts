import { JOIN_CODE_ALPHABET, JOIN_CODE_PATTERN, JoinCodes, normalizeJoinCode } from './join-codes';

describe('class join codes', () => {
  it('are six characters from the unambiguous alphabet', () => {
    const codes = new JoinCodes();
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const code = codes.next();
      expect(code).toMatch(JOIN_CODE_PATTERN);
      for (const c of code) seen.add(c);
    }
    expect(JOIN_CODE_ALPHABET).not.toMatch(/[01ILO]/);
    // every character of the alphabet turns up, so none is silently left out
    expect([...seen].sort().join('')).toBe([...JOIN_CODE_ALPHABET].sort().join(''));
  });

  it('accepts what a person types: lower case, spaces and dashes', () => {
    expect(normalizeJoinCode(' k7m-2xq ')).toBe('K7M2XQ');
    expect(normalizeJoinCode('K7M 2XQ')).toMatch(JOIN_CODE_PATTERN);
    expect(JOIN_CODE_PATTERN.test(normalizeJoinCode('K0M2XQ'))).toBe(false);
  });
});
