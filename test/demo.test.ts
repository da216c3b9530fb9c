// `npm run demo`, as a newcomer runs it (the build is already done): the box
// starts (vcsim, a real control plane, kwok, the real CPI and CSI sidecars),
// `vk up` takes the cluster from bare to persistent volumes, and everything
// is gone when the demo exits.
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanEnv } from './support/run-vk.js';
import { repoRoot } from './support/go-build.js';

function demo(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(repoRoot, 'node_modules/.bin/tsx'), ['scripts/demo.ts'], {
      cwd: repoRoot,
      env: { ...cleanEnv(), NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 480_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Something still listens on the URL's port (a TCP connect, so a TLS error cannot pass for "gone"). */
const listening = (url: string) =>
  new Promise<boolean>((resolve) => {
    const { hostname, port } = new URL(url);
    const socket = connect({ host: hostname, port: Number(port) });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });

describe('npm run demo', () => {
  it('runs vk up against the box, every step done, then stops everything', async () => {
    const r = await demo();
    expect(r.stderr).not.toMatch(/^error:/m);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('$ vk up --folder k8s --datastore NFS_0');
    for (const step of ['prepare-vms', 'taint-nodes', 'install-cpi', 'install-csi', 'storageclass', 'smoke-test']) {
      expect(r.stdout).toMatch(new RegExp(`^${step}\\s+done\\s`, 'm'));
    }
    // Every check passes but zone-tags and vsan-file-services, skipped: the demo configures no zones and makes no ReadWriteMany claim.
    expect(r.stderr).toMatch(/^doctor: \d+ checks: \d+ pass, 3 skip$/m);
    expect(r.stdout).toMatch(/demo: done\n$/);

    // The servers it announced are gone.
    const m = /demo: vCenter (\S+) .*Kubernetes v1\.\d+\.\d+ at (\S+) /.exec(r.stderr);
    expect(m).not.toBeNull();
    expect(await listening(m![1]!)).toBe(false);
    expect(await listening(m![2]!)).toBe(false);
  }, 500_000);
});
