/** What the benchmarks share: their options, their secrets and how they read a distribution. */
import { randomBytes } from 'node:crypto';

/** `--name=value` from the command line as a number, or the fallback. */
export const arg = (name: string, fallback: number): number => {
  const found = process.argv.find((a) => a.startsWith(`--${name}=`));
  return found ? Number(found.split('=')[1]) : fallback;
};

/** `--name=value` from the command line as text, if given. */
export const textArg = (name: string): string | undefined => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** Secrets of this run only, for the app's processes. */
export const SECRETS = { JWT_SECRET: randomBytes(32).toString('hex'), CODE_PEPPER: randomBytes(32).toString('hex') };

/** The nearest-rank percentile of ascending values: the smallest value with at least p % of them at or below it. */
export const percentile = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] : NaN;
