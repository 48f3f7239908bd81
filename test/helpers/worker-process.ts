import { ChildProcess, spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

/**
 * A real worker process (src/worker.ts) on a test app's database, Redis prefix and SMS recorder:
 * for tests that kill a worker in the middle of its work.
 */
export class WorkerProcess {
  private child?: ChildProcess;
  private exited?: Promise<void>;

  constructor(
    /** The app's own variables (`TestApp.env`): the same database, Redis prefix, secrets and SMS recorder. */
    private readonly env: Record<string, string | undefined>,
    private readonly extraEnv: Record<string, string> = {},
    /** Where the worker's own log goes (default: nowhere); handy when a test needs explaining. */
    private readonly logFile?: string,
  ) {}

  start(): void {
    this.child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', join(root, 'src', 'worker.ts')], {
      cwd: root,
      stdio: this.logFile ? ['ignore', openSync(this.logFile, 'a'), openSync(this.logFile, 'a')] : 'ignore',
      env: {
        PATH: process.env.PATH,
        TS_NODE_PROJECT: join(root, 'tsconfig.json'),
        ...this.env,
        APP_ROLE: 'worker',
        LOG_LEVEL: this.logFile ? 'info' : 'silent',
        ...this.extraEnv,
      },
    });
    this.exited = new Promise((resolve) => this.child!.once('exit', () => resolve()));
  }

  /** SIGKILL: no shutdown hooks, open transactions die with the connection, active jobs stall. */
  async kill(): Promise<void> {
    if (!this.child || this.child.exitCode !== null) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}
