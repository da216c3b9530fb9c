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

export function runVk(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  opts: { timeoutMs?: number; during?: (child: ChildProcess) => void } = {},
): Promise<VkResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'bin', 'run.js'), ...args], {
      cwd: repoRoot,
      env: { ...cleanEnv(), XDG_CONFIG_HOME: tempConfigHome(), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: performance.now() - started });
    });
    opts.during?.(child);
  });
}
