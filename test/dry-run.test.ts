// --dry-run has kubectl's meaning in every command: --dry-run=client|server,
// bare --dry-run meaning client; server only where the API server validates.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './support/go-build.js';
import { runVk } from './support/run-vk.js';

interface ManifestFlag {
  type: string;
  options?: string[];
}
const manifest = JSON.parse(readFileSync(join(repoRoot, 'oclif.manifest.json'), 'utf8')) as {
  commands: Record<string, { flags: Record<string, ManifestFlag> }>;
};

describe('--dry-run', () => {
  it('is none|client[|server] in every command that has it', () => {
    const withDryRun = Object.entries(manifest.commands).filter(([, c]) => c.flags['dry-run']);
    expect(withDryRun.length).toBeGreaterThanOrEqual(10);
    for (const [id, c] of withDryRun) {
      const flag = c.flags['dry-run']!;
      expect(flag.type, id).toBe('option');
      expect(flag.options?.slice(0, 2), id).toEqual(['none', 'client']);
    }
    const server = withDryRun.filter(([, c]) => c.flags['dry-run']!.options!.includes('server')).map(([id]) => id);
    expect(server.sort()).toEqual(['install:cpi', 'install:csi', 'install:snapshots', 'up']);
  });

  it('bare --dry-run means client, also where server is offered', async () => {
    const r = await runVk(['install', 'cpi', '--dry-run', '--kubeconfig', '/nonexistent/kubeconfig']);
    // Parsed: the command got as far as reading the kubeconfig.
    expect(r.stderr).toContain('kubeconfig file /nonexistent/kubeconfig does not exist');
  });

  it('server where the API server cannot help is a usage error', async () => {
    const r = await runVk(['taint-nodes', '--dry-run=server']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Expected --dry-run=server to be one of: none, client');
  });

  it('flags that exclude each other: one line naming both, exit 2', async () => {
    for (const [argv, line] of [
      [
        ['install', 'cpi', '--version', 'v1.36.0', '--manifest', 'cpi.yaml'],
        "error: --manifest=cpi.yaml cannot also be provided when using --version; see 'vk install cpi --help'",
      ],
      [
        ['up', '--csi-version', 'v3.8.0', '--csi-manifest', 'csi.yaml'],
        "error: --csi-manifest=csi.yaml cannot also be provided when using --csi-version; see 'vk up --help'",
      ],
    ] as const) {
      const r = await runVk([...argv]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim()).toBe(line);
    }
  });
});
