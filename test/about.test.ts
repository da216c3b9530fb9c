// `vk about`: what vCenter the flags/environment reach, and as whom.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runVk } from './support/run-vk.js';
import { startVcsim, type Vcsim } from './support/vcsim.js';

let sim: Vcsim;
beforeAll(async () => {
  sim = await startVcsim({ tls: false });
});
afterAll(async () => {
  await sim?.stop();
});

describe('vk about', () => {
  it('prints product, version, build, API and the logged-in user as a table', async () => {
    const about = await sim.inspect('about');
    const r = await runVk(['about'], sim.env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Product\\s+${escape(about.fullName)}$`, 'm'));
    expect(r.stdout).toMatch(new RegExp(`^Version\\s+${escape(about.version)}$`, 'm'));
    expect(r.stdout).toMatch(new RegExp(`^Build\\s+${escape(about.build)}$`, 'm'));
    expect(r.stdout).toMatch(new RegExp(`^API version\\s+${escape(about.apiVersion)}$`, 'm'));
    expect(r.stdout).toMatch(new RegExp(`^User\\s+${escape(sim.username)}$`, 'm'));
  });

  it('-o json and -o yaml carry the same fields', async () => {
    const about = await sim.inspect('about');
    const json = await runVk(['about', '-o', 'json'], sim.env);
    expect(json.code).toBe(0);
    const value = JSON.parse(json.stdout);
    expect(value).toEqual({
      url: sim.url.replace(/\/\/[^@]*@/, '//'),
      product: about.fullName,
      version: about.version,
      build: about.build,
      apiType: about.apiType,
      apiVersion: about.apiVersion,
      instanceUuid: about.instanceUuid,
      user: sim.username,
    });
    const yaml = await runVk(['about', '-o', 'yaml'], sim.env);
    expect(yaml.code).toBe(0);
    const { load } = await import('js-yaml');
    expect(load(yaml.stdout)).toEqual(value);
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
