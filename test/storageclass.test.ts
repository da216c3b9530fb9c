// `vk storageclass create|list` end to end: the built CLI against vcsim (names
// resolved, PBM policies) and the box's real apiserver; the classes are read
// back through the API and the datastore URLs from vcsim's own inspect.
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { KubeObject } from './box/cluster.js';
import { useBox } from './support/box.js';
import { runVk } from './support/run-vk.js';
import type { VcsimDatastore } from './support/vcsim.js';

const DEFAULT = 'storageclass.kubernetes.io/is-default-class';

interface StorageClass extends KubeObject {
  provisioner: string;
  parameters?: Record<string, string>;
  reclaimPolicy?: string;
  volumeBindingMode?: string;
  allowVolumeExpansion?: boolean;
}

const box = useBox({ vcsim: { tls: false, nfs: 1, dsPartial: 1 } });
let datastores: VcsimDatastore[];

beforeAll(async () => {
  datastores = await box.vcsim!.inspect('datastores');
});

// Every test starts from one default class of the CSI driver's and no other.
beforeEach(async () => {
  for (const c of await box.store.list('StorageClass')) await box.store.delete('StorageClass', c.metadata.name);
  await box.store.put({
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: 'old-default', annotations: { [DEFAULT]: 'true' } },
    provisioner: 'csi.vsphere.vmware.com',
  } as KubeObject);
});

const vk = (args: string[], env: NodeJS.ProcessEnv = box.vcsim!.env) =>
  runVk([...args, '--kubeconfig', box.kubeconfig], { ...env, NO_COLOR: '1' });
const sc = (name: string) => box.store.get<StorageClass>('StorageClass', name);
/** Names and resourceVersions of every class: unchanged means nothing was written. */
const classes = async () =>
  (await box.store.list('StorageClass')).map((c) => `${c.metadata.name}@${c.metadata.resourceVersion}`).join(',');
const urlOf = (name: string) => datastores.find((d) => d.name === name)!.url;

describe('vk storageclass create', () => {
  it('resolves a datastore name to its URL, marks the class default and unmarks the previous one', async () => {
    const create = [
      'storageclass',
      'create',
      'nfs-gold',
      '--datastore',
      'NFS_0',
      '--default',
      '--fstype',
      'xfs',
      '--reclaim-policy',
      'Retain',
      '--binding-mode',
      'WaitForFirstConsumer',
      '--allow-expansion',
    ];
    const r = await vk(create);
    expect(r.stderr).not.toContain('error');
    expect(r.code).toBe(0);
    const created = (await sc('nfs-gold'))!;
    expect(created.provisioner).toBe('csi.vsphere.vmware.com');
    expect(created.parameters).toEqual({ datastoreurl: urlOf('NFS_0'), 'csi.storage.k8s.io/fstype': 'xfs' });
    expect(created.metadata.annotations?.[DEFAULT]).toBe('true');
    expect(created.reclaimPolicy).toBe('Retain');
    expect(created.volumeBindingMode).toBe('WaitForFirstConsumer');
    expect(created.allowVolumeExpansion).toBe(true);
    expect((await sc('old-default'))!.metadata.annotations?.[DEFAULT]).toBe('false');
    expect(r.stderr).toContain('storageclass old-default is no longer the default; nfs-gold is');
    expect(r.stdout).toMatch(/nfs-gold\s+csi\.vsphere\.vmware\.com\s+NFS_0\s+-\s+yes\s+created/);
    // Shared by every host: no warning.
    expect(r.stderr).not.toContain('warning');

    const again = await vk(create);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/unchanged/);
  });

  it('checks --policy through PBM and sets storagepolicyname', async () => {
    const r = await vk(['storageclass', 'create', 'vsan', '--policy', 'vSAN Default Storage Policy', '-o', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).parameters).toEqual({ storagepolicyname: 'vSAN Default Storage Policy' });
    expect((await sc('vsan'))!.parameters).toEqual({ storagepolicyname: 'vSAN Default Storage Policy' });
  });

  it('warns when the datastore is not mounted by every host of its cluster', async () => {
    const r = await vk(['storageclass', 'create', 'partial', '--datastore', 'PartialNFS_0']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      'warning: datastore PartialNFS_0 is mounted by 1 of 3 hosts of cluster DC0_C0; pods scheduled on the others cannot attach its volumes',
    );
    expect((await sc('partial'))!.parameters?.datastoreurl).toBe(urlOf('PartialNFS_0'));
  });

  it('unknown datastore or policy: exit 1 listing the valid names, nothing written', async () => {
    const rv = await classes();
    const ds = await vk(['storageclass', 'create', 'x', '--datastore', 'NFS_9']);
    expect(ds.code).toBe(1);
    expect(ds.stderr.trim()).toBe(
      'error: datastore "NFS_9" not found; valid datastores: LocalDS_0, NFS_0, PartialNFS_0',
    );
    const pol = await vk(['storageclass', 'create', 'x', '--policy', 'Gold']);
    expect(pol.code).toBe(1);
    expect(pol.stderr).toMatch(
      /^error: storage policy "Gold" not found; valid policies: .*vSAN Default Storage Policy/,
    );
    expect(await classes()).toBe(rv);
  });

  it('--dry-run -o yaml prints the class and writes nothing', async () => {
    const rv = await classes();
    const r = await vk([
      'storageclass',
      'create',
      'dry',
      '--datastore',
      'LocalDS_0',
      '--default',
      '--dry-run',
      '-o',
      'yaml',
    ]);
    expect(r.code).toBe(0);
    const { load } = await import('js-yaml');
    const doc = load(r.stdout) as StorageClass;
    expect(doc.kind).toBe('StorageClass');
    expect(doc.parameters?.datastoreurl).toBe(urlOf('LocalDS_0'));
    expect(r.stderr).toContain('storageclass old-default would no longer be the default; dry would be');
    expect(await classes()).toBe(rv);
  });

  it('rejects bad input with exit 2 before any request', async () => {
    for (const args of [['Bad_Name'], ['ok', '--reclaim-policy', 'Recycle'], ['ok', '--datastore', 'ds:/nope']]) {
      const r = await vk(['storageclass', 'create', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      // One error line (oclif itself may add an UnparsedCommand warning for parse errors; see the report).
      expect(
        r.stderr.split('\n').filter((l) => l.startsWith('error: ')),
        r.stderr,
      ).toHaveLength(1);
    }
    // A datastore name needs vCenter to be resolved.
    const noVc = await vk(['storageclass', 'create', 'ok', '--datastore', 'NFS_0'], { HOME: box.vcsim!.configDir });
    expect(noVc.code).toBe(2);
    expect(noVc.stderr).toContain('no vCenter is configured');
  });
});

describe('vk storageclass list', () => {
  it('shows the default mark, provisioner and the datastore name behind each datastoreurl', async () => {
    await box.store.put({
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: 'nfs' },
      provisioner: 'csi.vsphere.vmware.com',
      parameters: { datastoreurl: urlOf('NFS_0') },
    } as KubeObject);
    const r = await vk(['storageclass', 'list']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^NAME\s+PROVISIONER\s+DATASTORE/);
    expect(r.stdout).toMatch(/nfs\s+csi\.vsphere\.vmware\.com\s+NFS_0\s/);
    expect(r.stdout).toMatch(/old-default \(default\)\s+csi\.vsphere\.vmware\.com\s+-/);
    const json = JSON.parse((await vk(['storageclass', 'list', '-o', 'json'])).stdout);
    expect(json.find((c: { name: string }) => c.name === 'nfs')).toMatchObject({
      datastore: 'NFS_0',
      datastoreUrl: urlOf('NFS_0'),
      default: false,
    });
  });
});
