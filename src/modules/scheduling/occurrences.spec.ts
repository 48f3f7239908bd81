import { withoutMutualOverlaps } from './occurrences.service';

const slot = (childId: string, start: string, minutes: number) => {
  const startsAt = new Date(start);
  return { childId, startsAt, endsAt: new Date(startsAt.getTime() + minutes * 60_000), localDate: start.slice(0, 10) };
};

describe('withoutMutualOverlaps (slots of one INSERT cannot see each other)', () => {
  it('keeps the earlier of two overlapping slots of a child, and everything of other children', () => {
    const a = slot('child-a', '2026-11-01T05:30:00Z', 30);
    const clash = slot('child-a', '2026-11-01T05:45:00Z', 30);
    const chained = slot('child-a', '2026-11-01T05:50:00Z', 5);
    const touching = slot('child-a', '2026-11-01T06:00:00Z', 30);
    const other = slot('child-b', '2026-11-01T05:45:00Z', 30);
    expect(withoutMutualOverlaps([touching, clash, other, chained, a])).toEqual([a, touching, other]);
  });

  it('leaves a list without overlaps as it is', () => {
    const list = [slot('c', '2026-03-01T11:30:00Z', 30), slot('c', '2026-03-08T11:30:00Z', 30)];
    expect(withoutMutualOverlaps(list)).toEqual(list);
  });
});
