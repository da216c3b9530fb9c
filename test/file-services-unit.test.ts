// vSAN File Services for ReadWriteMany on plain data and a scripted vSAN
// endpoint: which clusters the node VMs run on, when a cluster uses file
// volumes, the doctor check's verdicts, and how VsanClusterGetConfig's
// answers and faults are read.
import { afterEach, describe, expect, it } from 'vitest';
import type { V1PersistentVolumeClaim, V1StorageClass } from '@kubernetes/client-node';
import { fileServicesCheck, fileVolumeUse, nodeClusters } from '../src/lib/storage/file-services.js';
import type { NodeMatch } from '../src/lib/vms/node-vms.js';
import { parseCsiConf } from '../src/lib/drivers/driver-config.js';
import type { VsphereSession } from '../src/lib/vsphere/connect.js';
import { readVsanClusterConfig, VsanUnavailableError } from '../src/lib/vsphere/vsan.js';
import { startFakeVim, type FakeVim } from './support/fake-vim.js';

const cluster = (name: string, hosts: string[]) => ({
  ref: { type: 'ClusterComputeResource', value: `domain-${name}` },
  name,
  hosts,
});
const match = (node: string, host?: string): NodeMatch => ({ node, vm: { name: `vm-${node}`, host }, by: 'name' });

describe('nodeClusters', () => {
  it('names each cluster of the node VMs’ hosts once, sorted, and the VMs on standalone hosts', () => {
    const all = [cluster('B', ['HostSystem:h3']), cluster('A', ['HostSystem:h1', 'HostSystem:h2']), cluster('C', [])];
    const r = nodeClusters(
      [
        match('n1', 'HostSystem:h2'),
        match('n2', 'HostSystem:h3'),
        match('n3', 'HostSystem:h1'),
        match('n4', 'HostSystem:h9'),
        { node: 'n5' },
      ],
      all,
    );
    expect(r.clusters.map((c) => c.name)).toEqual(['A', 'B']);
    expect(r.outside).toEqual(['vm-n4']);
  });
});

const sc = (name: string, provisioner: string, isDefault = false): V1StorageClass => ({
  metadata: { name, ...(isDefault ? { annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } } : {}) },
  provisioner,
});
const pvc = (
  name: string,
  modes: string[],
  spec: Partial<V1PersistentVolumeClaim['spec']> = {},
): V1PersistentVolumeClaim => ({
  metadata: { name, namespace: 'apps' },
  spec: { accessModes: modes, ...spec },
});

describe('fileVolumeUse', () => {
  const classes = [sc('vsan', 'csi.vsphere.vmware.com', true), sc('nfs', 'example.com/nfs')];

  it('a CSI StorageClass and ReadWriteOnce claims are no use of file volumes', () => {
    expect(fileVolumeUse(classes, [pvc('a', ['ReadWriteOnce'], { storageClassName: 'vsan' })], undefined)).toEqual([]);
  });

  it('counts ReadWriteMany/ReadOnlyMany filesystem claims of the CSI driver, by class, default class or provisioner annotation', () => {
    const claims = [
      pvc('named', ['ReadWriteMany'], { storageClassName: 'vsan' }),
      pvc('default', ['ReadOnlyMany']),
      pvc('other', ['ReadWriteMany'], { storageClassName: 'nfs' }),
      pvc('block', ['ReadWriteMany'], { storageClassName: 'vsan', volumeMode: 'Block' }),
      {
        ...pvc('annotated', ['ReadWriteMany'], { storageClassName: 'gone' }),
        metadata: {
          name: 'annotated',
          namespace: 'apps',
          annotations: { 'volume.kubernetes.io/storage-provisioner': 'csi.vsphere.vmware.com' },
        },
      },
    ];
    expect(fileVolumeUse(classes, claims, undefined)).toEqual([
      '3 ReadWriteMany/ReadOnlyMany claims (apps/named, apps/default, apps/annotated)',
    ]);
  });

  it('a CSI config with file-share targets means file volumes', () => {
    const csi = parseCsiConf(
      [
        '[VirtualCenter "vc.example.com"]',
        'user = "k8s-csi@vsphere.local"',
        'targetvSANFileShareClusters = "domain-c9, domain-c10"',
        '',
      ].join('\n'),
      'csi-vsphere.conf',
    );
    expect(csi.vcenters[0]!.fileShareClusters).toEqual(['domain-c9', 'domain-c10']);
    expect(csi.vcenters[0]!.fileShareDatastoreUrls).toEqual([]);
    expect(fileVolumeUse([], [], csi)).toEqual(['the CSI config sets targetvSANFileShareClusters']);
  });
});

describe('fileServicesCheck', () => {
  const uses = ['1 ReadWriteMany/ReadOnlyMany claim (apps/shared)'];

  it('fails naming the clusters without File Services, with the vSphere Client path as the fix', () => {
    const r = fileServicesCheck(uses, {
      clusters: [
        { cluster: 'C1', state: 'enabled' },
        { cluster: 'C2', state: 'disabled', vsan: false },
      ],
      outside: [],
    });
    expect(r.status).toBe('fail');
    expect(r.detail).toBe(
      'not enabled on cluster C2 (vSAN itself is off on C2); enabled on C1; used by 1 ReadWriteMany/ReadOnlyMany claim (apps/shared)',
    );
    expect(r.fix).toBe(
      'enable vSAN File Services in the vSphere Client: Cluster > Configure > vSAN > Services > File Service',
    );
  });

  it('passes when every node cluster has it', () => {
    const r = fileServicesCheck(uses, { clusters: [{ cluster: 'C1', state: 'enabled', esa: true }], outside: [] });
    expect(r).toMatchObject({
      status: 'pass',
      detail: expect.stringMatching(/^enabled on cluster C1 \(vSAN ESA: C1\); used by/),
    });
  });

  it('warns "cannot be checked" when the vSAN API is not there or a cluster cannot be read', () => {
    expect(fileServicesCheck(uses, { unchecked: 'no vSAN API', clusters: [], outside: [] })).toMatchObject({
      status: 'warn',
      detail: 'cannot be checked: no vSAN API',
    });
    expect(
      fileServicesCheck(uses, {
        clusters: [{ cluster: 'C1', state: 'unknown', reason: 'permission denied' }],
        outside: [],
      }),
    ).toMatchObject({ status: 'warn', detail: 'cannot be checked on C1: permission denied' });
  });
});

describe('readVsanClusterConfig', () => {
  let fake: FakeVim | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });
  const session = () => ({ client: fake!.client }) as unknown as VsphereSession;
  const c1 = { type: 'ClusterComputeResource', value: 'domain-c1' };

  it('reads vSAN, ESA and File Services as booleans', async () => {
    fake = await startFakeVim({
      VsanClusterGetConfig: () =>
        '<enabled>true</enabled><vsanEsaEnabled>true</vsanEsaEnabled><fileServiceConfig><enabled>true</enabled></fileServiceConfig>',
    });
    expect(await readVsanClusterConfig(session(), c1)).toEqual({ vsan: true, esa: true, fileServices: true });
  });

  it('no file service config is File Services off', async () => {
    fake = await startFakeVim({ VsanClusterGetConfig: () => '<enabled>false</enabled>' });
    expect(await readVsanClusterConfig(session(), c1)).toEqual({ vsan: false, esa: undefined, fileServices: false });
  });

  it('a vCenter without the method is "unavailable", not a failure of the cluster', async () => {
    fake = await startFakeVim({
      VsanClusterGetConfig: () => ({ fault: '<NotSupportedFault xsi:type="NotSupported"/>', message: 'not supported' }),
    });
    await expect(readVsanClusterConfig(session(), c1)).rejects.toBeInstanceOf(VsanUnavailableError);
  });
});
