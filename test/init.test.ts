// vk init: off a terminal it never asks (missing flags are one usage error),
// on a terminal the wizard asks what is missing and offers the live
// inventory. Either way it writes a 0600 config file that later commands
// use on their own. Runs the built CLI against vcsim; the wizard through a pty.
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys, runVkInPty } from './support/pty.js';
import { cleanEnv, runVk } from './support/run-vk.js';
import { startVcsim, type Vcsim } from './support/vcsim.js';

let sim: Vcsim;
let url: string;
beforeAll(async () => {
  sim = await startVcsim({ tls: false, ds: 2, folder: '/DC0/vm/k8s', folderVms: 1, subfolders: ['a'] });
  url = `http://${sim.host}/sdk`;
});
afterAll(async () => {
  await sim?.stop();
});

/** A private HOME/XDG_CONFIG_HOME (no VK_/GOVC_ variables) and where the default config file goes. */
function home(): { env: NodeJS.ProcessEnv; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'vk-init-'));
  return {
    env: { HOME: dir, XDG_CONFIG_HOME: dir, VK_PERSIST_SESSION: 'false' },
    file: join(dir, 'vk', 'config.yaml'),
  };
}

const readConfig = (file: string) => load(readFileSync(file, 'utf8')) as Record<string, unknown>;
const mode = (file: string) => statSync(file).mode & 0o777;

describe('vk init without a terminal', () => {
  it('never prompts: lists the missing connection flags, exit 2, writes nothing', async () => {
    const { env, file } = home();
    const r = await runVk(['init', '--url', url], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'error: missing --username, --password (stdin is not a terminal, so vk init does not prompt)\n',
    );
    expect(r.stdout).toBe('');
    expect(existsSync(file)).toBe(false);

    const none = await runVk(['init'], env);
    expect(none.stderr).toMatch(/^error: missing --url, --username, --password \(/);
  });

  it('checks the connection and names, then writes a 0600 file without the password', async () => {
    const { env, file } = home();
    const r = await runVk(['init', '--folder', 'k8s', '--datastore', 'LocalDS_1'], {
      ...env,
      GOVC_URL: url,
      GOVC_USERNAME: sim.username,
      GOVC_PASSWORD: sim.password,
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Config file\\s+${file}$`, 'm'));
    expect(r.stdout).toMatch(/^Password saved\s+no$/m);
    expect(r.stderr).toContain(`wrote ${file}`);
    expect(r.stderr).toContain('set VK_PASSWORD');
    expect(mode(file)).toBe(0o600);
    expect(mode(join(file, '..'))).toBe(0o700);
    expect(readConfig(file)).toEqual({
      url,
      username: sim.username,
      datacenter: 'DC0',
      folder: '/DC0/vm/k8s',
      datastore: 'LocalDS_1',
    });
    expect(readFileSync(file, 'utf8')).toMatch(/^# vk config file/);
    expect(r.stdout + r.stderr + readFileSync(file, 'utf8')).not.toContain(sim.password);

    // The file lacks the password: vk about needs it from the environment, and nothing else.
    const about = await runVk(['about', '-o', 'json'], { ...env, VK_PASSWORD: sim.password });
    expect(about.code).toBe(0);
    expect(JSON.parse(about.stdout)).toMatchObject({ url, user: sim.username });
  });

  it('with --save-password stores it, and the file alone then works for vk about', async () => {
    const { env, file } = home();
    const r = await runVk(
      ['init', '--url', url, '--username', sim.username, '--password', sim.password, '--save-password'],
      env,
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Password saved\s+yes$/m);
    expect(r.stdout + r.stderr).not.toContain(sim.password);
    expect(mode(file)).toBe(0o600);
    expect(readConfig(file)).toMatchObject({ url, username: sim.username, password: sim.password, datacenter: 'DC0' });

    const about = await runVk(['about', '-o', 'json'], env);
    expect(about.stderr).toBe('');
    expect(about.code).toBe(0);
    expect(JSON.parse(about.stdout)).toMatchObject({ user: sim.username });
  });

  it('names the choices when --datastore or --folder is not in vCenter, and writes nothing', async () => {
    const { env, file } = home();
    const creds = ['--url', url, '--username', sim.username, '--password', sim.password];
    const ds = await runVk(['init', ...creds, '--datastore', 'nope'], env);
    expect(ds.code).toBe(2);
    expect(ds.stderr).toBe(
      'error: datastore "nope" not found in /DC0; datastores: LocalDS_0, LocalDS_1; pass one of them to --datastore\n',
    );
    const folder = await runVk(['init', ...creds, '--folder', 'k9s'], env);
    expect(folder.code).toBe(2);
    expect(folder.stderr).toBe(
      'error: folder "k9s" not found in /DC0; VM folders: /DC0/vm/k8s, /DC0/vm/k8s/a; pass one of them to --folder\n',
    );
    expect(existsSync(file)).toBe(false);
  });

  it('refuses to overwrite an existing file without --force', async () => {
    const { env, file } = home();
    const creds = ['--url', url, '--username', sim.username, '--password', sim.password];
    expect((await runVk(['init', ...creds], env)).code).toBe(0);
    writeFileSync(file, 'url: keep-me\n');
    const r = await runVk(['init', ...creds], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`error: config file ${file} already exists; pass --force to overwrite it\n`);
    expect(readFileSync(file, 'utf8')).toBe('url: keep-me\n');
    const forced = await runVk(['init', ...creds, '--force'], env);
    expect(forced.code).toBe(0);
    expect(readConfig(file)).toMatchObject({ url });
  });

  it('writes where --config says, creating the directory', async () => {
    const { env } = home();
    const target = join(mkdtempSync(join(tmpdir(), 'vk-init-cfg-')), 'nested', 'vk.yaml');
    const r = await runVk(
      ['init', '--config', target, '--url', url, '--username', sim.username, '--password', sim.password],
      env,
    );
    expect(r.code).toBe(0);
    expect(mode(target)).toBe(0o600);
    expect(readConfig(target)).toMatchObject({ url });
  });
});

describe('vk init on a terminal (the wizard)', () => {
  it('asks, retries a wrong password, offers the live inventory, and never shows the password', async () => {
    const { env, file } = home();
    const wrong = 'not-the-Passw0rd';
    const r = await runVkInPty(['init'], { ...cleanEnv(), ...env }, [
      { expect: 'vCenter URL', send: url + keys.enter },
      { expect: 'User name', send: sim.username + keys.enter },
      { expect: 'Password', send: wrong + keys.enter },
      // Wrong: the error, then the same questions with the last answers as defaults.
      { expect: /incorrect user name or password[\s\S]*vCenter URL/, send: keys.enter },
      { expect: 'User name', send: keys.enter },
      { expect: 'Password', send: sim.password + keys.enter },
      { expect: /Connected to VMware vCenter Server .* as /, send: '' },
      // Folders /DC0/vm/k8s, /DC0/vm/k8s/a, (none): take the second.
      { expect: /VM folder of the nodes[\s\S]*\/DC0\/vm\/k8s\/a/, send: keys.down + keys.enter },
      // Datastores LocalDS_0, LocalDS_1, (none): take the first.
      { expect: /Datastore for volumes[\s\S]*LocalDS_1/, send: keys.enter },
      { expect: 'Save the password', send: 'y' + keys.enter },
    ]);
    expect(r.code, r.transcript).toBe(0);
    expect(r.transcript).toContain(`wrote ${file}`);
    expect(r.raw).not.toContain(sim.password);
    expect(r.raw).not.toContain(wrong);
    expect(mode(file)).toBe(0o600);
    expect(readConfig(file)).toEqual({
      url,
      username: sim.username,
      password: sim.password,
      datacenter: 'DC0',
      folder: '/DC0/vm/k8s/a',
      datastore: 'LocalDS_0',
    });
  });

  it('does not ask again what flags and environment give, and asks before overwriting', async () => {
    const { env, file } = home();
    const first = await runVk(['init', '--url', url, '--username', sim.username, '--password', sim.password], env);
    expect(first.code).toBe(0);
    const before = readFileSync(file, 'utf8');
    const r = await runVkInPty(
      ['init', '--folder', 'k8s', '--no-save-password'],
      { ...cleanEnv(), ...env, GOVC_URL: url, GOVC_USERNAME: sim.username, GOVC_PASSWORD: sim.password },
      [
        { expect: 'Overwrite it?', send: 'y' + keys.enter },
        { expect: /Datastore for volumes[\s\S]*\(none\)/, send: keys.down + keys.down + keys.enter },
      ],
    );
    expect(r.code, r.transcript).toBe(0);
    expect(r.transcript).not.toMatch(/vCenter URL|User name|Password:|VM folder of the nodes|Save the password/);
    expect(readFileSync(file, 'utf8')).not.toBe(before);
    expect(readConfig(file)).toEqual({ url, username: sim.username, datacenter: 'DC0', folder: '/DC0/vm/k8s' });
  });
});

describe('vk init on a terminal against an untrusted certificate', () => {
  let tlsSim: Vcsim;
  beforeAll(async () => {
    tlsSim = await startVcsim({ tls: true });
  });
  afterAll(async () => {
    await tlsSim?.stop();
  });

  it('stops with the thumbprint to pin instead of asking again, and writes nothing', async () => {
    const { env, file } = home();
    const r = await runVkInPty(['init'], { ...cleanEnv(), ...env }, [
      { expect: 'vCenter URL', send: `https://${tlsSim.host}/sdk` + keys.enter },
      { expect: 'User name', send: tlsSim.username + keys.enter },
      { expect: 'Password', send: tlsSim.password + keys.enter },
    ]);
    expect(r.code, r.transcript).toBe(1);
    expect(r.transcript).toContain(`--thumbprint ${tlsSim.thumbprint}`);
    expect(r.raw).not.toContain(tlsSim.password);
    expect(existsSync(file)).toBe(false);
  });
});

describe('vk init on a terminal with several datacenters', () => {
  let multi: Vcsim;
  beforeAll(async () => {
    multi = await startVcsim({ tls: false, dc: 2 });
  });
  afterAll(async () => {
    await multi?.stop();
  });

  it("offers the datacenters, then only the chosen one's folders and datastores", async () => {
    const { env, file } = home();
    const r = await runVkInPty(
      ['init'],
      {
        ...cleanEnv(),
        ...env,
        GOVC_URL: `http://${multi.host}/sdk`,
        GOVC_USERNAME: multi.username,
        GOVC_PASSWORD: multi.password,
      },
      [
        { expect: /Datacenter[\s\S]*\/DC1/, send: keys.down + keys.enter },
        // DC1 has no VM folders below its root: no folder question.
        { expect: /Datastore for volumes[\s\S]*\(none\)/, send: keys.enter },
        { expect: 'Save the password', send: keys.enter },
      ],
    );
    expect(r.code, r.transcript).toBe(0);
    expect(r.transcript).not.toMatch(/VM folder of the nodes/);
    expect(readConfig(file)).toEqual({
      url: `http://${multi.host}/sdk`,
      username: multi.username,
      datacenter: 'DC1',
      datastore: 'LocalDS_0',
    });
  });
});
