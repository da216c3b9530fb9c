// `vk install snapshots` refuses before it applies anything when snapshots
// cannot work: no CSI driver, vCenter or a node VM's ESXi host below 7.0 U3,
// the driver's snapshot feature state off. And it uses, not replaces, a
// snapshot-controller someone else installed. The box runs vcsim at the
// versions under test and the CSI fixture's objects (no driver processes:
// only what vk reads matters here); state is read back through the API.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE_DIR, startManifestServer, type ManifestServer } from './fixtures/manifests/server.js';
import { SNAPSHOTTER_VERSION } from './box/versions.js';
import type { Box } from './box/cluster.js';
import { useBox } from './support/box.js';
import { runVk } from './support/run-vk.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- API objects are read as served */

const CSI_FIXTURE = ['namespace.yaml', 'vsphere-csi-driver.yaml'].map((f) => join(FIXTURE_DIR, 'csi-v3.8.0', f));

let manifests: ManifestServer;
beforeAll(async () => {
  manifests = await startManifestServer();
});
afterAll(async () => {
  await manifests?.close();
});

const vkIn = (box: Box) => (args: string[]) =>
  runVk(['install', 'snapshots', '--insecure', ...args], {
    ...box.env,
    VK_MANIFEST_BASE_URL: manifests.baseUrl,
    NO_COLOR: '1',
  });
const snapshotCrds = async (box: Box) =>
  ((await box.getJson('/apis/apiextensions.k8s.io/v1/customresourcedefinitions')).items as any[]).filter((c) =>
    c.metadata.name.endsWith('.snapshot.storage.k8s.io'),
  );

describe('vk install snapshots on vCenter 7.0 U2', () => {
  // Nodes without the CPI's taint, so the CSI controller's pods run (kwok plays them).
  const box = useBox({
    withoutCloudProviderTaint: true,
    vcsim: { vcenterVersion: '7.0.2', folder: '/DC0/vm/k8s', folderVms: 2 },
  });
  const vk = vkIn(box);

  it('without the CSI driver: exit 1, install csi first', async () => {
    const r = await vk([]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^error: the vSphere CSI driver is not installed: no Deployment vmware-system-csi\/vsphere-csi-controller/m,
    );
    expect(r.stderr).toContain("run 'vk install csi' first");
  });

  it('refuses naming vCenter 7.0 U2 and 7.0 U3; nothing applied', async () => {
    await box.kubectl(['apply', ...CSI_FIXTURE.flatMap((f) => ['-f', f])]);
    const r = await vk([]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^error: volume snapshots need vSphere 7\.0 U3 or later: vCenter is 7\.0 U2; upgrade to 7\.0 U3 or later, or pass --skip-preflight/m,
    );
    expect(r.stderr).toContain('--skip-preflight');
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
    expect(await snapshotCrds(box)).toEqual([]);
  });

  it('refuses when the driver has snapshots switched off, naming the fix', async () => {
    const patch = (v: string) =>
      box.kubectl([
        '-n',
        'vmware-system-csi',
        'patch',
        'configmap',
        'internal-feature-states.csi.vsphere.vmware.com',
        '--type',
        'merge',
        '-p',
        JSON.stringify({ data: { 'block-volume-snapshot': v } }),
      ]);
    await patch('false');
    try {
      const r = await vk([]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^error: the CSI driver's feature state block-volume-snapshot is "false"/m);
      expect(r.stderr).toContain('"block-volume-snapshot":"true"');
    } finally {
      await patch('true');
    }
  });

  it('uses a snapshot-controller another installer runs: only the class is applied, with a warning', async () => {
    for (const plural of ['volumesnapshotclasses', 'volumesnapshotcontents', 'volumesnapshots']) {
      await box.kubectl([
        'apply',
        '-f',
        `${manifests.baseUrl}/kubernetes-csi/external-snapshotter/${SNAPSHOTTER_VERSION}/client/config/crd/snapshot.storage.k8s.io_${plural}.yaml`,
      ]);
    }
    await box.kubectl([
      '-n',
      'kube-system',
      'create',
      'deployment',
      'rke2-snapshot-controller',
      '--image=rancher/hardened-snapshot-controller:v8.2.0',
    ]);
    const r = await vk(['--skip-preflight', '--timeout', '60s', '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      'a snapshot-controller not installed by vk runs as kube-system/rke2-snapshot-controller (rancher/hardened-snapshot-controller:v8.2.0): vk uses it and installs only the VolumeSnapshotClass',
    );
    const doc = JSON.parse(r.stdout);
    expect(doc.objects.map((o: any) => `${o.kind}/${o.name}`)).toEqual(['VolumeSnapshotClass/vsphere-csi-snapshots']);
    expect(doc.verification.controller).toBe('foreign');
    const ours = await box.api('GET', '/apis/apps/v1/namespaces/kube-system/deployments/snapshot-controller');
    expect(ours.status).toBe(404);
  }, 120_000);
});

describe('vk install snapshots with a node VM on ESXi 7.0 U2', () => {
  const box = useBox({ vcsim: { esxiVersion: '7.0.2', folder: '/DC0/vm/k8s', folderVms: 2 } });
  const vk = vkIn(box);

  it('refuses naming the host and its version', async () => {
    await box.kubectl(['apply', ...CSI_FIXTURE.flatMap((f) => ['-f', f])]);
    const r = await vk([]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: volume snapshots need vSphere 7\.0 U3 or later: ESXi \S+ is 7\.0 U2/m);
    expect(await snapshotCrds(box)).toEqual([]);
  });
});
