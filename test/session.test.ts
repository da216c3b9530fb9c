// Session reuse like govc: the cookie is kept per URL and user (mode 0600)
// and reused while vCenter accepts it, so two commands log in once.
import { readdirSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runVk, tempConfigHome } from './support/run-vk.js';
import { startVcsim, type Vcsim } from './support/vcsim.js';

let sim: Vcsim;
beforeAll(async () => {
  sim = await startVcsim({ tls: false });
});
afterAll(async () => {
  await sim?.stop();
});

const logins = (stderr: string) => stderr.split('\n').filter((l) => /^debug: Login \d+/.test(l)).length;

describe('saved sessions', () => {
  it('two commands in a row log in once, and the session file is private', async () => {
    const home = tempConfigHome();
    const env = { ...sim.env, XDG_CONFIG_HOME: home };
    const first = await runVk(['about', '--debug'], env);
    expect(first.code).toBe(0);
    expect(logins(first.stderr)).toBe(1);
    const second = await runVk(['datastores', '--debug'], env);
    expect(second.code).toBe(0);
    expect(logins(second.stderr)).toBe(0);
    expect(second.stderr).toContain('reusing the saved session');

    const dir = join(home, 'vk', 'sessions');
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    expect(statSync(join(dir, files[0]!)).mode & 0o777).toBe(0o600);
    // The simulator holds exactly one session: the first command's, still alive.
    expect(await sim.inspect('sessions')).toHaveLength(1);
  });

  it('logs in again when the saved session is no longer valid', async () => {
    const home = tempConfigHome();
    const env = { ...sim.env, XDG_CONFIG_HOME: home };
    expect((await runVk(['about'], env)).code).toBe(0);
    const dir = join(home, 'vk', 'sessions');
    const file = join(dir, readdirSync(dir)[0]!);
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, JSON.stringify({ ...saved, cookie: 'vmware_soap_session="expired"' }));
    const r = await runVk(['about', '--debug'], env);
    expect(r.code).toBe(0);
    expect(logins(r.stderr)).toBe(1);
    expect(JSON.parse(readFileSync(file, 'utf8')).cookie).not.toContain('expired');
  });

  it('--persist-session=false and VK_PERSIST_SESSION=false log out and save nothing', async () => {
    const before = (await sim.inspect('sessions')) as unknown[];
    for (const [args, extra] of [
      [['--persist-session=false'], {}],
      [[], { VK_PERSIST_SESSION: 'false' }],
    ] as const) {
      const home = tempConfigHome();
      const r = await runVk(['about', '--debug', ...args], { ...sim.env, ...extra, XDG_CONFIG_HOME: home });
      expect(r.code).toBe(0);
      expect(r.stderr).toContain('debug: Logout');
      expect(() => readdirSync(join(home, 'vk', 'sessions'))).toThrow();
    }
    expect(await sim.inspect('sessions')).toHaveLength(before.length);
  });

  it('counts the SOAP requests of the process in --debug', async () => {
    const r = await runVk(['about', '--debug', '--persist-session=false'], sim.env);
    // RetrieveServiceContent, Login, Logout.
    expect(r.stderr).toMatch(/^debug: 3 vSphere requests$/m);
  });
});
