import { Clock } from '../../src/common/clock';

/** Real time unless a test sets or advances it. */
export class TestClock extends Clock {
  private offsetMs = 0;
  private fixed?: Date;

  now(): Date {
    return this.fixed ? new Date(this.fixed) : new Date(Date.now() + this.offsetMs);
  }

  set(at: Date): void {
    this.fixed = new Date(at);
  }

  advance(ms: number): void {
    if (this.fixed) this.fixed = new Date(this.fixed.getTime() + ms);
    else this.offsetMs += ms;
  }
}
