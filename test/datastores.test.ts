// `vk datastores` against a simulator with local, NFS and partially mounted
// datastores, compared field by field with the simulator's own view.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runVk } from './support/run-vk.js';
import { startVcsim, type Vcsim, type VcsimDatastore } from './support/vcsim.js';

let sim: Vcsim;
beforeAll(async () => {
  sim = await startVcsim({ tls: false, dc: 1, cluster: 2, host: 2, ds: 2, nfs: 1, dsPartial: 1 });
});
afterAll(async () => {
  await sim?.stop();
});

interface VkDatastore {
  name: string;
  path: string;
  datacenter: string;
  type: string;
  url: string;
  capacity: number;
  free: number;
  remote?: string;
  hosts: Array<{ name: string; cluster?: string; mounted: boolean; accessible: boolean }>;
  clusters: Array<{ name: string; hosts: number; mounted: number; shared: boolean }>;
  sharedAcrossCluster: boolean;
}

describe('vk datastores', () => {
  it('-o json agrees with the simulator field by field, sizes in bytes', async () => {
    const expected = (await sim.inspect('datastores')) as VcsimDatastore[];
    const r = await runVk(['datastores', '-o', 'json'], sim.env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const got = JSON.parse(r.stdout) as VkDatastore[];
    expect(got.map((d) => d.name).sort()).toEqual(expected.map((d) => d.name).sort());
    for (const want of expected) {
      const d = got.find((g) => g.name === want.name)!;
      expect(d.path, want.name).toBe(want.path);
      expect(d.type, want.name).toBe(want.type);
      expect(d.url, want.name).toBe(want.url);
      expect(d.capacity, want.name).toBe(want.capacity);
      expect(d.free, want.name).toBe(want.free);
      expect(d.remote, want.name).toBe(want.remoteHost ? `${want.remoteHost}:${want.remotePath}` : undefined);
      expect(d.hosts.map((h) => h.name).sort(), want.name).toEqual([...want.hosts].sort());
      expect(d.datacenter).toBe('DC0');
    }
  });

  it('tells which datastores every host of the cluster mounts', async () => {
    const r = await runVk(['datastores', '-o', 'json'], sim.env);
    const got = JSON.parse(r.stdout) as VkDatastore[];
    const byName = new Map(got.map((d) => [d.name, d]));
    expect(byName.get('NFS_0')?.sharedAcrossCluster).toBe(true);
    expect(byName.get('LocalDS_0')?.sharedAcrossCluster).toBe(true);
    const partial = byName.get('PartialNFS_0')!;
    expect(partial.sharedAcrossCluster).toBe(false);
    expect(partial.clusters).toEqual([
      { name: 'DC0_C0', path: '/DC0/host/DC0_C0', hosts: 2, mounted: 1, shared: false },
    ]);
  });

  it('prints a table with human sizes and the NFS remote', async () => {
    const r = await runVk(['datastores'], sim.env);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+PATH\s+TYPE\s+CAPACITY\s+FREE\s+HOSTS\s+SHARED\s+URL\s+REMOTE$/);
    expect(r.stdout).toMatch(
      /^NFS_0\s+\/DC0\/datastore\/NFS_0\s+NFS\s+\d+(\.\d)?[KMGTP]?B\s+\d+(\.\d)?[KMGTP]?B\s+4\s+yes\s/m,
    );
    expect(r.stdout).toMatch(/^PartialNFS_0\s.*\s1\s+no \(DC0_C0: 1\/2 hosts\)\s/m);
  });

  it('reads every datastore, host and cluster in one PropertyCollector call', async () => {
    const r = await runVk(['datastores', '--debug'], sim.env);
    expect(r.code).toBe(0);
    const calls = r.stderr
      .split('\n')
      .map((l) => /^debug: (\w+) \d+ \d+ms$/.exec(l)?.[1])
      .filter(Boolean);
    expect(calls).toEqual(['RetrieveServiceContent', 'Login', 'RetrievePropertiesEx', 'Logout']);
    expect(r.stderr).toMatch(/^debug: 4 vSphere requests$/m);
  });

  it('filters by name globs', async () => {
    const r = await runVk(['datastores', 'NFS*', 'LocalDS_1', '-o', 'json'], sim.env);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as VkDatastore[]).map((d) => d.name)).toEqual(['LocalDS_1', 'NFS_0']);
    const none = await runVk(['datastores', 'nope*'], sim.env);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/^error: no datastore matches "nope\*"/);
  });

  it('-o yaml carries the same value as -o json', async () => {
    const [json, yaml] = await Promise.all([
      runVk(['datastores', '-o', 'json'], sim.env),
      runVk(['datastores', '-o', 'yaml'], sim.env),
    ]);
    const { load } = await import('js-yaml');
    expect(load(yaml.stdout)).toEqual(JSON.parse(json.stdout));
  });

  it('an unknown --datacenter is an error listing the datacenters', async () => {
    const r = await runVk(['datastores', '--datacenter', 'DC9'], sim.env);
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('datacenter "DC9" not found; vCenter has: /DC0');
    const ok = await runVk(['datastores', '--datacenter', 'DC0', '-o', 'json'], sim.env);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toHaveLength(4);
  });
});

describe('vk datastores with several datacenters', () => {
  let multi: Vcsim;
  beforeAll(async () => {
    multi = await startVcsim({ tls: false, dc: 2, cluster: 1, host: 1, ds: 1 });
  });
  afterAll(async () => {
    await multi?.stop();
  });

  it('lists all of them by default and one with --datacenter / GOVC_DATACENTER', async () => {
    const all = JSON.parse((await runVk(['datastores', '-o', 'json'], multi.env)).stdout) as VkDatastore[];
    expect(new Set(all.map((d) => d.datacenter))).toEqual(new Set(['DC0', 'DC1']));
    const one = await runVk(['datastores', '-o', 'json'], { ...multi.env, GOVC_DATACENTER: 'DC1' });
    expect((JSON.parse(one.stdout) as VkDatastore[]).every((d) => d.datacenter === 'DC1')).toBe(true);
  });
});
