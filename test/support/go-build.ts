// Builds the Go helpers under test/go/<name>/ (the vcsim launcher, the
// drivers' config-parser readers) with Debian's Go sources, the way the
// brief prescribes: GO111MODULE=off GOPATH=/usr/share/gocode go build.
// Binaries are cached in .cache/go-bin/<name>-<hash of sources> so a second
// run, and every suite after the global setup, reuses them.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const goRoot = join(repoRoot, 'test', 'go');
const cacheDir = join(repoRoot, '.cache', 'go-bin');
export const goPath = process.env.VK_TEST_GOPATH ?? '/usr/share/gocode';

/** Names of the Go helpers (folders under test/go). */
export function goHelperNames(): string[] {
  if (!existsSync(goRoot)) return [];
  return readdirSync(goRoot, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
}

function sourceHash(name: string): string {
  const dir = join(goRoot, name);
  const h = createHash('sha256');
  for (const f of readdirSync(dir)
    .filter((f) => f.endsWith('.go'))
    .sort()) {
    h.update(f)
      .update('\0')
      .update(readFileSync(join(dir, f)))
      .update('\0');
  }
  return h.digest('hex').slice(0, 16);
}

/** Path of the helper's binary for the current sources (built or not). */
export function goBinaryPath(name: string): string {
  return join(cacheDir, `${name}-${sourceHash(name)}`);
}

/** Builds one helper if its cached binary is missing; returns its path. */
export async function buildGo(name: string): Promise<string> {
  const out = goBinaryPath(name);
  if (existsSync(out)) return out;
  mkdirSync(cacheDir, { recursive: true });
  const tmp = `${out}.tmp-${process.pid}`;
  const env = {
    ...process.env,
    GO111MODULE: 'off',
    GOPATH: goPath,
    GOCACHE: process.env.GOCACHE ?? join(repoRoot, '.cache', 'go-build'),
  };
  try {
    await execFileP('go', ['build', '-o', tmp, '.'], { cwd: join(goRoot, name), env, maxBuffer: 16 << 20 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`go build of test/go/${name} failed: ${e.stderr || e.message}`);
  }
  renameSync(tmp, out);
  return out;
}

export async function buildGoHelpers(): Promise<void> {
  for (const name of goHelperNames()) await buildGo(name);
}
