// Zones end to end in the box: `vk topology --create` tags two clusters as
// two zones in vcsim (read back on vcsim's vAPI endpoints, never through
// vk), the real CPI labels the nodes from those tags, the CSI node stand-in
// reports the same topology, a zoned StorageClass gets its volume on a
// datastore of its zone only (read back on vcsim's CNS endpoint), and
// vk doctor's zone-tags check fails once a zone tag is gone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBox, type Box } from './box/cluster.js';
import { startManifestServer, type ManifestServer } from './fixtures/manifests/server.js';
import { cnsVolumes } from './support/cns-query.js';
import { runVk } from './support/run-vk.js';
import { VcsimTags } from './support/vcsim-tags.js';
import type { VcsimHost, VcsimVm } from './support/vcsim.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- API objects are read as served */

let box: Box;
let manifests: ManifestServer;
let env: NodeJS.ProcessEnv;
let tags: VcsimTags;
let vms: VcsimVm[];
let hosts: VcsimHost[];

beforeAll(async () => {
  // Two clusters of two hosts, the four node VMs spread over both; each
  // cluster has a datastore of its own (DC0_Cn_NFS_0) beside the shared LocalDS_0.
  box = await startBox({
    drivers: true,
    vcsim: {
      cluster: 2,
      host: 2,
      ds: 1,
      clusterNfs: 1,
      spreadClusters: true,
      folder: '/DC0/vm/k8s',
      folderVms: 4,
    },
  });
  manifests = await startManifestServer({ aliases: {} });
  env = { ...box.env, VK_MANIFEST_BASE_URL: manifests.baseUrl, NO_COLOR: '1' };
  tags = await VcsimTags.login(box.vcsim!);
  vms = await box.vcsim!.inspect('vms');
  hosts = await box.vcsim!.inspect('hosts');
}, 600_000);
afterAll(async () => {
  await manifests?.close();
  await box?.stop();
});

const vk = (args: string[]) => runVk([...args, '--insecure', '--datacenter', 'DC0'], env, { timeoutMs: 300_000 });

/** The cluster name (DC0_C0) of a node's VM, from vcsim. */
const clusterOf = (node: string) => {
  const vm = vms.find((v) => v.name === node)!;
  return hosts
    .find((h) => h.name === vm.host)!
    .cluster.split('/')
    .pop()!;
};
const zoneOf = (node: string) => (clusterOf(node) === 'DC0_C0' ? 'zone-a' : 'zone-b');
/** Polls until `read` answers a value (every 500 ms, up to `timeoutMs`). */
async function eventually<T>(what: string, read: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
const nodes = async () => (await box.getJson('/api/v1/nodes')).items as any[];

const CREATE = [
  'topology',
  '--create',
  '--region-tag',
  'datacenter:DC0=region-1',
  '--zone-tag',
  'cluster:DC0_C0=zone-a',
  '--zone-tag',
  'cluster:DC0_C1=zone-b',
];

describe('zones from vSphere tags, with the real CPI', () => {
  it('vk topology lists every node with its host, cluster and datacenter, and says the zone tags are missing', async () => {
    expect(new Set(box.nodes.map((n) => clusterOf(n.name)))).toEqual(new Set(['DC0_C0', 'DC0_C1']));
    const r = await vk(['topology']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^NODE\s+VM\s+HOST\s+CLUSTER\s+DATACENTER$/m);
    for (const n of box.nodes) {
      const vm = vms.find((v) => v.name === n.name)!;
      expect(r.stdout).toMatch(
        new RegExp(`^${n.name}\\s+${vm.name}\\s+${vm.host}\\s+${clusterOf(n.name)}\\s+DC0$`, 'm'),
      );
    }
    expect(r.stderr).toContain(
      'not every node has one k8s-region and one k8s-zone tag; vk topology --create adds them',
    );
  });

  it('--create refuses a cluster no node runs in, with a did-you-mean, and creates nothing', async () => {
    const r = await vk(['topology', '--create', '--zone-tag', 'cluster:DC0_C9=zone-z']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^error: --zone-tag cluster:DC0_C9=zone-z: no node runs under cluster DC0_C9; did you mean cluster:DC0_C\d\?\n$/,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(await tags.categories()).toEqual({});
  });

  it('--create with a zone for one cluster only names the nodes left without a zone, and creates nothing', async () => {
    const r = await vk(['topology', '--create', '--zone-tag', 'cluster:DC0_C0=zone-a']);
    expect(r.code).toBe(1);
    const other = box.nodes.filter((n) => clusterOf(n.name) === 'DC0_C1').map((n) => n.name);
    for (const n of other)
      expect(r.stderr).toContain(`node ${n} would have no k8s-zone tag (add --zone-tag cluster:DC0_C1=<tag>)`);
    expect(await tags.categories()).toEqual({});
  });

  it('--create --dry-run shows the plan and changes nothing', async () => {
    const r = await vk([...CREATE, '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('would create tag category k8s-region');
    expect(r.stderr).toContain('would create tag category k8s-zone');
    expect(r.stderr).toContain('would attach k8s-zone tag zone-b to cluster DC0_C1');
    expect(r.stderr).toContain('dry run: 8 changes, nothing changed');
    for (const n of box.nodes)
      expect(r.stdout).toMatch(new RegExp(`^${n.name}\\s+region-1\\s+${zoneOf(n.name)}$`, 'm'));
    expect(await tags.categories()).toEqual({});
  });

  it('--create makes the categories and tags and attaches them; a re-run changes nothing', async () => {
    const r = await vk(CREATE);
    expect(r.code, r.stderr).toBe(0);
    expect(await tags.categories()).toEqual({ 'k8s-region': ['region-1'], 'k8s-zone': ['zone-a', 'zone-b'] });
    const attached = (await tags.attached()).map((a) => a.tags);
    expect(attached.sort()).toEqual([['k8s-region/region-1'], ['k8s-zone/zone-a'], ['k8s-zone/zone-b']].sort());
    for (const n of box.nodes) {
      expect(r.stdout).toMatch(
        new RegExp(
          `^${n.name}\\s.*region-1 \\(datacenter DC0\\)\\s+${zoneOf(n.name)} \\(cluster ${clusterOf(n.name)}\\)$`,
          'm',
        ),
      );
    }
    expect(r.stderr).toContain('vk install cpi --region k8s-region --zone k8s-zone');

    const again = await vk(CREATE);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('nothing to change');
    expect(await tags.categories()).toEqual({ 'k8s-region': ['region-1'], 'k8s-zone': ['zone-a', 'zone-b'] });
  });

  it('an object that already carries another zone tag is refused before anything changes', async () => {
    const r = await vk([
      'topology',
      '--create',
      '--zone-tag',
      'cluster:DC0_C0=zone-x',
      '--zone-tag',
      'cluster:DC0_C1=zone-b',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'error: cluster DC0_C0 already carries k8s-zone tag zone-a, not zone-x; keep it (--zone-tag cluster:DC0_C0=zone-a), or detach it first: govc tags.detach -c k8s-zone zone-a /DC0/host/DC0_C0\n',
    );
    expect((await tags.categories())['k8s-zone']).toEqual(['zone-a', 'zone-b']);
  });

  it(
    'vk install cpi --region --zone: the real CPI labels every node with its zone, re-initializing nodes it had initialized without zones',
    { timeout: 400_000 },
    async () => {
      // First without zones, as a cluster that adds zones later.
      const plain = await vk(['install', 'cpi', '--timeout', '240s']);
      expect(plain.code, plain.stderr).toBe(0);
      for (const n of await nodes()) expect(n.metadata.labels['topology.kubernetes.io/zone']).toBeUndefined();

      const r = await vk(['install', 'cpi', '--region', 'k8s-region', '--zone', 'k8s-zone', '--timeout', '300s']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/Taint 4 uninitialized nodes/);
      for (const n of await nodes()) {
        expect(n.metadata.labels['topology.kubernetes.io/zone'], n.metadata.name).toBe(zoneOf(n.metadata.name));
        expect(n.metadata.labels['topology.kubernetes.io/region']).toBe('region-1');
        expect(n.spec.providerID).toMatch(/^vsphere:\/\//);
      }
      expect(r.stderr).toMatch(/zones: .*k8s-node-0001 region-1\/zone-a/);
    },
  );

  it(
    'vk install csi --topology-category on a driver installed without: the node plugin restarts and every node reports the same zone to the CSI driver',
    { timeout: 400_000 },
    async () => {
      const plain = await vk(['install', 'csi', '--timeout', '240s']);
      expect(plain.code, plain.stderr).toBe(0);
      const r = await vk(['install', 'csi', '--topology-category', 'k8s-region,k8s-zone', '--timeout', '240s']);
      expect(r.code, r.stderr).toBe(0);
      for (const n of await nodes()) {
        const name = n.metadata.name;
        expect(n.metadata.labels['topology.csi.vmware.com/k8s-zone']).toBe(zoneOf(name));
        const csiNode = await box.getJson(`/apis/storage.k8s.io/v1/csinodes/${name}`);
        const driver = csiNode.spec.drivers.find((d: any) => d.name === 'csi.vsphere.vmware.com');
        expect(driver.topologyKeys).toEqual(['topology.csi.vmware.com/k8s-region', 'topology.csi.vmware.com/k8s-zone']);
      }
    },
  );

  it('vk doctor passes zone-tags', async () => {
    const r = await vk(['doctor', '-o', 'json']);
    const check = (JSON.parse(r.stdout) as any[]).find((c) => c.id === 'zone-tags');
    expect(check).toMatchObject({ status: 'pass', detail: '4 nodes in 2 k8s-zone values (zone-a, zone-b)' });
  });

  it(
    "vk storageclass create --zone: the volume of a zone-b claim lands on zone-b's own datastore; a zone without the datastore fails provisioning",
    { timeout: 300_000 },
    async () => {
      const unknown = await vk(['storageclass', 'create', 'zoned-c', '--zone', 'zone-c']);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toBe(
        "error: no node is in k8s-zone zone-c; the nodes' k8s-zone values: zone-a, zone-b (vk topology lists them)\n",
      );

      for (const [name, zone] of [
        ['zoned-b', 'zone-b'],
        ['wrong-zone', 'zone-a'],
      ]) {
        const r = await vk(['storageclass', 'create', name!, '--zone', zone!, '--datastore', 'DC0_C1_NFS_0']);
        expect(r.code, r.stderr).toBe(0);
      }
      const sc = await box.getJson('/apis/storage.k8s.io/v1/storageclasses/zoned-b');
      expect(sc.allowedTopologies).toEqual([
        { matchLabelExpressions: [{ key: 'topology.csi.vmware.com/k8s-zone', values: ['zone-b'] }] },
      ]);
      const claim = (name: string, cls: string) =>
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: { name, namespace: 'default' },
          spec: { accessModes: ['ReadWriteOnce'], storageClassName: cls, resources: { requests: { storage: '1Gi' } } },
        });
      await box.kubectl(['apply', '-f', '-'], { input: claim('in-zone-b', 'zoned-b') });
      await box.kubectl(['apply', '-f', '-'], { input: claim('not-in-zone-a', 'wrong-zone') });

      const pvName = await eventually(
        'claim in-zone-b Bound',
        async () => {
          const pvc = await box.getJson('/api/v1/namespaces/default/persistentvolumeclaims/in-zone-b');
          return pvc.status?.phase === 'Bound' ? (pvc.spec.volumeName as string) : undefined;
        },
        120_000,
      );
      const pv = await box.getJson(`/api/v1/persistentvolumes/${pvName}`);
      expect(pv.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions).toEqual(
        expect.arrayContaining([{ key: 'topology.csi.vmware.com/k8s-zone', operator: 'In', values: ['zone-b'] }]),
      );
      const ds = (await box.vcsim!.inspect('datastores')).find((d) => d.name === 'DC0_C1_NFS_0')!;
      const volume = (await cnsVolumes(box.vcsim!.url, box.vcsim!.username, box.vcsim!.password)).find(
        (v) => v.id === pv.spec.csi.volumeHandle,
      );
      expect(volume?.datastoreUrl.replace(/\/$/, '')).toBe(ds.url.replace(/\/$/, ''));

      // zone-a's hosts do not mount DC0_C1_NFS_0: the provisioner reports the driver's refusal.
      const event = await eventually(
        'ProvisioningFailed on not-in-zone-a',
        async () => {
          const events = (await box.getJson('/api/v1/namespaces/default/events')).items as any[];
          return events.find((e) => e.involvedObject.name === 'not-in-zone-a' && e.reason === 'ProvisioningFailed');
        },
        120_000,
      );
      expect(event.message).toMatch(/not accessible to the requested topology/);
      const pending = await box.getJson('/api/v1/namespaces/default/persistentvolumeclaims/not-in-zone-a');
      expect(pending.status.phase).toBe('Pending');

      // vk doctor sees the same: a zoned class needs its datastore on its zones' hosts only.
      const zoneA = box.nodes.filter((n) => zoneOf(n.name) === 'zone-a').map((n) => n.name);
      const before = (JSON.parse((await vk(['doctor', '-o', 'json'])).stdout) as any[]).find(
        (c) => c.id === 'storageclass-datastore',
      );
      expect(before).toMatchObject({
        status: 'fail',
        detail: `StorageClass wrong-zone: datastore DC0_C1_NFS_0 is not mounted on the host of nodes ${zoneA.sort().join(', ')} of its zones`,
      });
      await box.kubectl(['delete', 'pvc', 'not-in-zone-a', '-n', 'default', '--wait=false']);
      await box.kubectl(['delete', 'storageclass', 'wrong-zone']);
      const after = (JSON.parse((await vk(['doctor', '-o', 'json'])).stdout) as any[]).find(
        (c) => c.id === 'storageclass-datastore',
      );
      expect(after).toMatchObject({
        status: 'pass',
        detail: 'zoned-b: DC0_C1_NFS_0 on the hosts of all 2 nodes of its zones',
      });
    },
  );

  it('vk doctor fails zone-tags once a cluster loses its zone tag, naming its nodes', async () => {
    const objects = await tags.detachEverywhere('k8s-zone', 'zone-b');
    try {
      const r = await vk(['doctor', '-o', 'json']);
      expect(r.code).toBe(1);
      const check = (JSON.parse(r.stdout) as any[]).find((c) => c.id === 'zone-tags');
      expect(check.status).toBe('fail');
      for (const n of box.nodes.filter((x) => zoneOf(x.name) === 'zone-b')) {
        expect(check.detail).toContain(
          `${n.name}: no k8s-zone tag above host ${vms.find((v) => v.name === n.name)!.host}`,
        );
      }
      expect(check.fix).toContain('vk topology --create');
    } finally {
      await tags.attach('k8s-zone', 'zone-b', objects);
    }
  });
});
