import { CODE_ALPHABET, isShareableCode, normalizeCode } from './one-time-codes.service';

describe('one-time code format', () => {
  it('has no look-alike characters', () => {
    for (const c of '01IOL') expect(CODE_ALPHABET).not.toContain(c);
  });

  it('accepts the code however it is typed', () => {
    expect(normalizeCode(' k7m2-xq9p ')).toBe('K7M2XQ9P');
    expect(isShareableCode('k7m2 xq9p')).toBe(true);
    expect(isShareableCode('K7M2-XQ9')).toBe(false);
    expect(isShareableCode('K7M2-XQ90')).toBe(false);
  });
});
