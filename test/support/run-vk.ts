// Runs the built CLI (`node bin/run.js …`) as a user would: a subprocess with
// its own environment (no inherited GOVC_*/VK_* variables, a private
// XDG_CONFIG_HOME) and the exit code, stdout and stderr captured.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './go-build.js';

export interface VkResult {
  code: number | null;
  /** The signal that ended vk, when one did (e.g. a test's SIGTERM). */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** A fresh config dir, so saved sessions never leak between tests. */
export function tempConfigHome(): string {
  return mkdtempSync(join(tmpdir(), 'vk-config-'));
}

/** The parent environment without anything that would configure vk behind a test's back. */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(VK_|GOVC_|KUBECONFIG$|NO_COLOR$)/.test(k)) env[k] = v;
  }
  return env;
}

export interface RunVkOptions {
  /** vk is killed after this long and the run REJECTS: a hang is a test failure, never an exit code. */
  timeoutMs?: number;
  /** Acts on the running child, e.g. sends it SIGTERM. */
  during?: (child: ChildProcess) => void;
  cwd?: string;
}

/**
 * Runs `node bin/run.js ARGS` with a clean environment plus `env` (a fresh
 * XDG_CONFIG_HOME unless `env` sets one) and resolves with its exit code,
 * signal, stdout and stderr.
 */
export function runVk(args: string[], env: NodeJS.ProcessEnv = {}, opts: RunVkOptions = {}): Promise<VkResult> {
  const started = performance.now();
  const timeoutMs = opts.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'bin', 'run.js'), ...args], {
      cwd: opts.cwd ?? repoRoot,
      env: { ...cleanEnv(), XDG_CONFIG_HOME: tempConfigHome(), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) {
        const tail = stderr.trim().split('\n').slice(-5).join('\n');
        reject(
          new Error(`vk ${args.join(' ')} did not finish within ${timeoutMs / 1000}s (killed); stderr ends:\n${tail}`),
        );
        return;
      }
      resolve({ code, signal, stdout, stderr, ms: performance.now() - started });
    });
    opts.during?.(child);
  });
}
