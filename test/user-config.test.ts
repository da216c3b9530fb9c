// The config file every command reads: found at $XDG_CONFIG_HOME/vk/config.yaml
// (or --config / VK_CONFIG), beaten by the environment, which is beaten by
// flags; bad files are one-line usage errors. Runs the built CLI against vcsim.
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configLayer } from '../src/lib/settings/user-config.js';
import { runVk } from './support/run-vk.js';
import { startVcsim, type Vcsim } from './support/vcsim.js';

let sim: Vcsim;
let url: string;
beforeAll(async () => {
  sim = await startVcsim({ tls: false, folder: '/DC0/vm/k8s', folderVms: 2 });
  url = `http://${sim.host}/sdk`;
});
afterAll(async () => {
  await sim?.stop();
});

/** A private HOME/XDG_CONFIG_HOME holding `text` as the default config file; no VK_/GOVC_ variables. */
function home(text?: string, mode = 0o600): { env: NodeJS.ProcessEnv; file: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'vk-user-config-'));
  const file = join(dir, 'vk', 'config.yaml');
  if (text !== undefined) {
    mkdirSync(join(dir, 'vk'), { recursive: true, mode: 0o700 });
    writeFileSync(file, text);
    chmodSync(file, mode);
  }
  return { env: { HOME: dir, XDG_CONFIG_HOME: dir, VK_PERSIST_SESSION: 'false' }, file, dir };
}

const full = () => `url: ${url}\nusername: ${sim.username}\npassword: '${sim.password}'\n`;

describe('the config file', () => {
  it('is all vk about needs: no flags, no environment', async () => {
    const { env } = home(full());
    const r = await runVk(['about', '-o', 'json'], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ url, user: sim.username });
  });

  it('loses to the environment, which loses to a flag', async () => {
    const { env } = home(`url: ${url}\nusername: ${sim.username}\npassword: wrong-in-file\n`);
    const fileOnly = await runVk(['about'], env);
    expect(fileOnly.code).toBe(1);
    expect(fileOnly.stderr).toMatch(/^error: cannot log in .*incorrect user name or password/);

    const envWins = await runVk(['about'], { ...env, GOVC_PASSWORD: sim.password });
    expect(envWins.stderr).toBe('');
    expect(envWins.code).toBe(0);

    const flagWins = await runVk(['about', '--password', sim.password], { ...env, VK_PASSWORD: 'wrong-in-env' });
    expect(flagWins.stderr).toBe('');
    expect(flagWins.code).toBe(0);

    const envLoses = await runVk(['about', '--password', 'wrong-flag'], { ...env, GOVC_PASSWORD: sim.password });
    expect(envLoses.code).toBe(1);
  });

  it('keeps its credentials to its own vCenter when the environment names another', async () => {
    const { env } = home(`url: https://vc.other.example\nusername: ${sim.username}\npassword: '${sim.password}'\n`);
    const r = await runVk(['about'], { ...env, GOVC_URL: url });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: no vCenter user name given/);
  });

  it('is found through --config and VK_CONFIG as well', async () => {
    const { env } = home();
    const other = home(full()).file;
    const byFlag = await runVk(['about', '--config', other], env);
    expect(byFlag.stderr).toBe('');
    expect(byFlag.code).toBe(0);
    const byEnv = await runVk(['about'], { ...env, VK_CONFIG: other });
    expect(byEnv.code).toBe(0);
  });

  it('named by --config or VK_CONFIG must exist; a missing default file is no config', async () => {
    const { env, dir } = home();
    const missing = join(dir, 'nope.yaml');
    for (const r of [
      await runVk(['about', '--config', missing], env),
      await runVk(['about'], { ...env, VK_CONFIG: missing }),
    ]) {
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(
        `error: cannot read config file ${missing}: ENOENT; create it with vk init, or fix --config / VK_CONFIG\n`,
      );
    }
    const none = await runVk(['about'], env);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^error: no vCenter URL given/);
  });

  it('rejects invalid YAML and unknown keys in one line naming the file (exit 2)', async () => {
    const bad = home('url: [unclosed\n');
    const r1 = await runVk(['about'], bad.env);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toMatch(new RegExp(`^error: config file ${bad.file}: invalid YAML \\(line \\d+\\): .+\\n$`));

    const typo = home(`${full()}datastor: LocalDS_0\n`);
    const r2 = await runVk(['about'], typo.env);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toBe(`error: config file ${typo.file}: unknown key "datastor"; did you mean "datastore"?\n`);

    const list = home('- url\n');
    const r3 = await runVk(['about'], list.env);
    expect(r3.code).toBe(2);
    expect(r3.stderr).toMatch(/expected "key: value" lines, found a list/);
  });

  it('never shows its password, and warns when others can read a file holding one', async () => {
    const open = home(full(), 0o644);
    const r = await runVk(['about', '--debug'], open.env);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      `warning: config file ${open.file} holds a password and others can read it; run: chmod 600 ${open.file}`,
    );
    expect(r.stderr.match(/chmod 600/g)).toHaveLength(1);
    expect(r.stdout + r.stderr).not.toContain(sim.password);

    const closed = home(full(), 0o600);
    const quiet = await runVk(['about'], closed.env);
    expect(quiet.stderr).toBe('');
  });

  it('gives vk prepare-vms its folder when the FOLDER argument is omitted, and yields to it', async () => {
    const { env } = home(`${full()}folder: /DC0/vm/k8s\n`);
    const r = await runVk(['prepare-vms', '--dry-run', '-o', 'json'], env);
    expect(r.code).toBe(0);
    const paths = (JSON.parse(r.stdout) as { vms: Array<{ path: string }> }).vms.map((v) => v.path);
    expect(paths).toEqual(['/DC0/vm/k8s/k8s-node-0001', '/DC0/vm/k8s/k8s-node-0002']);

    const arg = await runVk(['prepare-vms', '/DC0/vm/nope', '--dry-run'], env);
    expect(arg.code).not.toBe(0);
    expect(arg.stderr).toMatch(/nope/);
    expect(arg.stderr).not.toMatch(/disagree/);
  });

  it('gives vk roles create its --folder; without one, a one-line usage error naming both ways', async () => {
    const withFolder = home(`${full()}folder: /DC0/vm/k8s\n`).env;
    const r = await runVk(['roles', 'create', '--csi-user', 'k8s-csi@vsphere.local', '--dry-run'], withFolder);
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\/DC0\/vm\/k8s\/k8s-node-0001\s+CNS-VM\s+k8s-csi@vsphere.local\s+would create/);

    const none = await runVk(['roles', 'create', '--csi-user', 'k8s-csi@vsphere.local', '--dry-run'], home(full()).env);
    expect(none.code).toBe(2);
    expect(none.stderr).toBe(
      'error: missing --folder: the node VMs need the CNS-VM role; pass --folder FOLDER (or set folder in the config file, see vk init)\n',
    );
  });
});

describe('configLayer (which file values fill which flags)', () => {
  const declared = {
    url: {},
    username: {},
    password: {},
    insecure: { type: 'boolean' },
    datastore: { multiple: true },
  };
  const base = { declared, setFromDefault: () => false, args: {}, env: {} };

  it('fills only declared flags the user left unset, lists for multiple flags', () => {
    const layer = configLayer({
      ...base,
      config: { url: 'vc', username: 'u', insecure: true, datastore: 'ds1', kubeconfig: '/k' },
      flags: { username: 'given' },
    });
    expect(layer.values).toEqual({ url: 'vc', insecure: true, datastore: ['ds1'] });
  });

  it('does not fill a flag when the user gave its alternative (--policy for --datastore) or an exclusive one', () => {
    const layer = configLayer({
      ...base,
      declared: { ...declared, policy: {}, url: { exclusive: ['thumbprint'] }, thumbprint: {} },
      config: { datastore: 'ds1', url: 'vc' },
      flags: { policy: 'gold', thumbprint: 'AA' },
    });
    expect(layer.values).toEqual({});
  });

  it('skips keys whose environment variable is set and credentials the URL in effect carries', () => {
    const layer = configLayer({
      ...base,
      config: { url: 'vc', username: 'u', password: 'p' },
      flags: {},
      env: { GOVC_URL: 'https://x:y@vc/sdk' },
    });
    expect(layer.values).toEqual({});
  });

  it('drops the vCenter settings when the URL in effect is another vCenter', () => {
    const layer = configLayer({
      ...base,
      config: { url: 'vc-a', username: 'u', password: 'p', insecure: true },
      flags: { url: 'vc-b' },
    });
    expect(layer.values).toEqual({});
    expect(layer.notes[0]).toMatch(/not the file's \(vc-a:443\)/);
  });
});
