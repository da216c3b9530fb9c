// Builds the Go helpers under test/go/<name>/ (the vcsim launcher, the
// drivers' config-parser readers). Each is a Go module with a committed
// go.sum, built in normal module mode with -mod=readonly (dependencies come
// from the module cache or GOPROXY; GOFLAGS and the rest of the environment
// are inherited). Binaries are cached in .cache/go-bin/<name>-<hash of *.go,
// go.mod and go.sum> so a second run, and every suite after the global setup,
// reuses them; Go's own build cache (GOCACHE, default location) makes a
// rebuild after a source change quick.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const goRoot = join(repoRoot, 'test', 'go');
const cacheDir = join(repoRoot, '.cache', 'go-bin');

/** Names of the Go helpers (folders under test/go with a go.mod). */
export function goHelperNames(): string[] {
  if (!existsSync(goRoot)) return [];
  return readdirSync(goRoot, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(goRoot, d.name, 'go.mod')))
    .map((d) => d.name)
    .sort();
}

/** The files whose content decides the binary: *.go, go.mod, go.sum. */
function hashedFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.go') || f === 'go.mod' || f === 'go.sum')
    .sort();
}

function sourceHash(name: string): string {
  const dir = join(goRoot, name);
  const h = createHash('sha256');
  for (const f of hashedFiles(dir)) {
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

/** One line from go's output: the first error lines, joined. */
function oneLine(output: string): string {
  const lines = output
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const text = lines.slice(0, 5).join('; ');
  return lines.length > 5 ? `${text}; … (${lines.length - 5} more lines)` : text;
}

const building = new Map<string, Promise<string>>();

/**
 * Builds one helper if its cached binary is missing; returns its path.
 * On a cold build it prints one line to stderr so whoever waits knows why.
 */
export function buildGo(name: string): Promise<string> {
  const out = goBinaryPath(name);
  if (existsSync(out)) return Promise.resolve(out);
  let p = building.get(out);
  if (!p) {
    p = build(name, out).finally(() => building.delete(out));
    building.set(out, p);
  }
  return p;
}

async function build(name: string, out: string): Promise<string> {
  mkdirSync(cacheDir, { recursive: true });
  const tmp = `${out}.tmp-${process.pid}`;
  process.stderr.write(
    name === 'vcsim'
      ? `building test/go/${name} (first run, about a minute; several on a busy machine)…\n`
      : `building test/go/${name} (first run)…\n`,
  );
  try {
    await execFileP('go', ['build', '-mod=readonly', '-o', tmp, '.'], {
      cwd: join(goRoot, name),
      env: process.env,
      maxBuffer: 16 << 20,
    });
  } catch (err) {
    rmSync(tmp, { force: true });
    const e = err as { stderr?: string; code?: string | number; message: string };
    const detail =
      e.code === 'ENOENT' ? 'go not found on PATH (install Go 1.25 or newer)' : oneLine(e.stderr || e.message);
    throw new Error(`go build of test/go/${name} failed: ${detail}`);
  }
  renameSync(tmp, out);
  return out;
}

export async function buildGoHelpers(): Promise<void> {
  for (const name of goHelperNames()) await buildGo(name);
}
