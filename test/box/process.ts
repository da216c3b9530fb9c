// One supervised local process of the box: started with its flags, its output
// appended to a log file, stopped with SIGTERM (SIGKILL after a grace
// period), and killed with the parent if the parent dies first.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';

const running = new Set<ChildProcess>();
let hooked = false;

/**
 * Kills the child with SIGKILL when this process exits before it does: the
 * last resort for a suite that never called stop().
 */
export function killWithParent(child: ChildProcess): void {
  if (!hooked) {
    hooked = true;
    process.on('exit', () => {
      for (const c of running) c.kill('SIGKILL');
    });
  }
  running.add(child);
  child.once('exit', () => running.delete(child));
}

export interface ProcSpec {
  name: string;
  bin: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Combined stdout and stderr go here (appended across restarts). */
  logFile: string;
}

export class Proc {
  private child?: ChildProcess;
  private exited?: Promise<void>;
  /** Exit code or signal of the last run, once it has ended. */
  lastExit?: { code: number | null; signal: NodeJS.Signals | null };

  constructor(readonly spec: ProcSpec) {}

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    if (this.running) return;
    const fd = openSync(this.spec.logFile, 'a');
    const child = spawn(this.spec.bin, this.spec.args, {
      env: this.spec.env ?? process.env,
      cwd: this.spec.cwd,
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    killWithParent(child);
    this.child = child;
    this.lastExit = undefined;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.lastExit = { code, signal };
        resolve();
      });
      child.once('error', () => resolve());
    });
  }

  /** The log's last `lines` lines. */
  logTail(lines = 30): string {
    try {
      return readFileSync(this.spec.logFile, 'utf8')
        .split('\n')
        .slice(-lines - 1)
        .join('\n');
    } catch {
      return '';
    }
  }

  async stop(graceMs = 5_000): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** Resolves when the process ends. */
  wait(): Promise<void> {
    return this.exited ?? Promise.resolve();
  }
}

/** Polls `check` until it returns true; fails naming `what` and the process log. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  opts: { timeoutMs: number; proc?: Proc; intervalMs?: number },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastError = '';
  for (;;) {
    if (opts.proc && !opts.proc.running && opts.proc.lastExit) {
      throw new Error(
        `${opts.proc.spec.name} exited (${opts.proc.lastExit.code ?? opts.proc.lastExit.signal}) before ${what}:\n${opts.proc.logTail()}`,
      );
    }
    try {
      if (await check()) return;
    } catch (err) {
      lastError = (err as Error).message;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${opts.timeoutMs} ms waiting for ${what}${lastError ? ` (${lastError})` : ''}` +
          (opts.proc ? `\n${opts.proc.spec.name} log:\n${opts.proc.logTail()}` : ''),
      );
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 200));
  }
}
