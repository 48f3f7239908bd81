import { FamilyRole, holdsControls } from './access.service';

describe('holdsControls', () => {
  it('gives the controls to guardians, whether or not the family has other guardians', () => {
    expect(holdsControls([FamilyRole.Guardian], true)).toBe(true);
    expect(holdsControls([FamilyRole.Parent, FamilyRole.Guardian], true)).toBe(true);
  });

  it('gives them to parents only while the family has no guardian', () => {
    expect(holdsControls([FamilyRole.Parent], false)).toBe(true);
    expect(holdsControls([FamilyRole.Parent], true)).toBe(false);
  });

  it('gives them to no one outside the family', () => {
    expect(holdsControls([], false)).toBe(false);
    expect(holdsControls([], true)).toBe(false);
  });
});
