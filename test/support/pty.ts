// Drives the built CLI through a pseudo-terminal, as a person at a terminal
// would: util-linux `script` (always present on Debian, in bsdutils) gives
// the process a pty; the test waits for each prompt's text in the output and
// then types the answer. No fixed sleeps: every wait is for text, bounded by
// a timeout that fails with the transcript so far.

import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './go-build.js';

export const keys = { enter: '\r', down: '\u001b[B', up: '\u001b[A' } as const;

export interface PtyStep {
  /** Text (or pattern) the terminal must show before typing. */
  expect: string | RegExp;
  /** What to type then (end with keys.enter to submit). */
  send: string;
}

export interface PtyResult {
  code: number | null;
  /** Everything the terminal showed, ANSI escapes removed. */
  transcript: string;
  /** The same, raw. */
  raw: string;
}

// CSI sequences (colours, cursor moves) and the few other escapes prompts use.
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]|\u001b[()][A-Z0-9]|\u001b[=>78]/g;
export const stripAnsi = (s: string) => s.replace(ANSI, '');

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Runs `node bin/run.js ARGS` on a pty with exactly `env`, answering `steps` in order. */
export function runVkInPty(
  args: string[],
  env: NodeJS.ProcessEnv,
  steps: PtyStep[],
  opts: { stepTimeoutMs?: number; timeoutMs?: number } = {},
): Promise<PtyResult> {
  const command = [process.execPath, join(repoRoot, 'bin', 'run.js'), ...args].map(shellQuote).join(' ');
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    cwd: repoRoot,
    env: { TERM: 'xterm', COLUMNS: '120', LINES: '40', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let raw = '';
  let waiter: (() => void) | undefined;
  const onData = (d: Buffer) => {
    raw += d.toString('utf8');
    waiter?.();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const closed = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
  const killTimer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 90_000);

  const waitFor = (pattern: string | RegExp, from: number): Promise<number> =>
    new Promise((resolve, reject) => {
      const test = () => {
        const seen = stripAnsi(raw.slice(from));
        if (typeof pattern === 'string' ? seen.includes(pattern) : pattern.test(seen)) {
          waiter = undefined;
          clearTimeout(timer);
          resolve(raw.length);
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        waiter = undefined;
        reject(new Error(`timed out waiting for ${String(pattern)}; terminal so far:\n${stripAnsi(raw)}`));
      }, opts.stepTimeoutMs ?? 20_000);
      if (!test()) waiter = () => void test();
      void closed.then(() => {
        if (waiter) {
          waiter = undefined;
          clearTimeout(timer);
          reject(new Error(`exited before showing ${String(pattern)}; terminal:\n${stripAnsi(raw)}`));
        }
      });
    });

  return (async () => {
    try {
      let pos = 0;
      for (const step of steps) {
        pos = await waitFor(step.expect, pos);
        child.stdin.write(step.send);
      }
      // Keep stdin open until the command exits: closing it would end the pty session.
      const code = await closed;
      return { code, transcript: stripAnsi(raw), raw };
    } catch (err) {
      child.kill('SIGKILL');
      await closed.catch(() => undefined);
      throw err;
    } finally {
      clearTimeout(killTimer);
      child.stdin.end();
    }
  })();
}
