/** What the benchmarks share: their options, their secrets and how they read a distribution. */
import { randomBytes } from 'node:crypto';
import { extname, join } from 'node:path';

/**
 * scripts/bench.sh runs the benchmarks compiled (dist/bench, next to dist/src), as production runs the
 * service: under ts-node every process would also load node's domain module, whose EventEmitter.emit
 * costs the bare baselines more than the application. Started with ts-node they still work.
 */
const compiled = extname(__filename) === '.js';

/** The checkout's root, from bench/lib or dist/bench/lib. */
export const ROOT = compiled ? join(__dirname, '..', '..', '..') : join(__dirname, '..', '..');

/** A script next to the running code (`dir` the folder of its .ts source or its compiled .js) and the node arguments that run it. */
export function script(dir: string, name: string): { file: string; execArgv: string[] } {
  return compiled ? { file: join(dir, `${name}.js`), execArgv: [] } : { file: join(dir, `${name}.ts`), execArgv: ['-r', 'ts-node/register/transpile-only'] };
}

/** `--name=value` from the command line as text, if given: everything after the first `=` (a value may hold `=` itself). */
export const textArg = (name: string): string | undefined => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

/** `--name=value` from the command line as a number, or the fallback. */
export const arg = (name: string, fallback: number): number => {
  const text = textArg(name);
  return text === undefined ? fallback : Number(text);
};

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** Secrets of this run only, for the app's processes. */
export const SECRETS = { JWT_SECRET: randomBytes(32).toString('hex'), CODE_PEPPER: randomBytes(32).toString('hex') };

/** The nearest-rank percentile of ascending values: the smallest value with at least p % of them at or below it. */
export const percentile = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] : NaN;
