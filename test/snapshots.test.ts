// `vk install snapshots` and `vk smoke-test --snapshot` in the box with vk's
// CSI install: the real snapshot-controller and the real csi-snapshotter
// sidecar (external-snapshotter, test/box/snapshotter) run against the CSI
// stand-in, which takes CNS snapshots in vcsim; the restored volume's data
// is the box's stand-in disk copied along with the snapshot (test/README.md).
// State is read back through the API server and vcsim, never through vk.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { SNAPSHOTTER_VERSION } from './box/versions.js';
import { waitFor } from './box/process.js';
import { readToken, standInDisks, useCsiBox } from './support/csi-box.js';
import { runVk } from './support/run-vk.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- API objects are read as served */

const csi = useCsiBox({ vcsim: { cluster: 1, host: 2, ds: 1, folder: '/DC0/vm/k8s', folderVms: 3 } });
const tmp = mkdtempSync(join(tmpdir(), 'vk-snapshots-'));
const CRDS = ['volumesnapshotclasses', 'volumesnapshotcontents', 'volumesnapshots'].map(
  (p) => `${p}.snapshot.storage.k8s.io`,
);
const CLASS = 'vsphere-csi-snapshots';

const crdNames = async () =>
  ((await csi.box.getJson('/apis/apiextensions.k8s.io/v1/customresourcedefinitions')).items as any[])
    .map((c) => c.metadata.name as string)
    .filter((n) => n.endsWith('.snapshot.storage.k8s.io'))
    .sort();
/** vk doctor's snapshots check, from its JSON report. */
const doctorSnapshots = async () => {
  const r = await csi.vk(['doctor', '-o', 'json']);
  return (JSON.parse(r.stdout) as { id: string; status: string; detail: string; fix?: string }[]).find(
    (c) => c.id === 'snapshots',
  )!;
};
const controller = () => csi.box.api('GET', '/apis/apps/v1/namespaces/kube-system/deployments/snapshot-controller');

describe('vk install snapshots with the real snapshot-controller and csi-snapshotter', () => {
  it('--dry-run=client prints the CRDs, the controller at the sidecar release and the class; nothing changes', async () => {
    const r = await csi.vk(['install', 'snapshots', '--dry-run=client']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('kind: CustomResourceDefinition');
    expect(r.stdout).toContain(`image: registry.k8s.io/sig-storage/snapshot-controller:${SNAPSHOTTER_VERSION}`);
    expect(r.stdout).toMatch(/kind: VolumeSnapshotClass\n(.*\n)*driver: csi\.vsphere\.vmware\.com/);
    expect(r.stderr).toContain('nothing was changed');
    expect(await crdNames()).toEqual([]);
    expect((await controller()).status).toBe(404);
    // The API server validates the CRDs and the controller; the class waits for its CRD.
    const server = await csi.vk(['install', 'snapshots', '--dry-run=server', '-o', 'json']);
    expect(server.code, server.stderr).toBe(0);
    const actions = JSON.parse(server.stdout).objects.map((o: any) => `${o.kind}:${o.action}`);
    expect(actions).toContain('CustomResourceDefinition:created');
    expect(actions).toContain('Deployment:created');
    expect(actions).toContain('VolumeSnapshotClass:would apply');
    expect(await crdNames()).toEqual([]);
    expect((await controller()).status).toBe(404);
    const check = await doctorSnapshots();
    expect(check.status).toBe('skip');
    expect(check.detail).toMatch(
      /^not installed \('vk install snapshots' adds them\): the CSI controller's csi-snapshotter v8\.4\.0 runs without the VolumeSnapshot CRDs/,
    );
  });

  it('installs the CRDs, the snapshot-controller and a default class; the sidecar and the controller run for real', async () => {
    const r = await csi.vk(['install', 'snapshots', '--timeout', '240s']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`snapshot-controller ${SNAPSHOTTER_VERSION}:`);
    expect(await crdNames()).toEqual([...CRDS].sort());
    for (const name of CRDS) {
      const crd = (await csi.box.api('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`)).body;
      expect(crd.status.conditions.find((c: any) => c.type === 'Established').status).toBe('True');
      expect(crd.spec.versions.map((v: any) => v.name)).toContain('v1');
      expect(crd.metadata.labels['vk.io/component']).toBe('snapshots');
    }
    const deploy = (await controller()).body;
    expect(deploy.spec.template.spec.containers[0].image).toBe(
      `registry.k8s.io/sig-storage/snapshot-controller:${SNAPSHOTTER_VERSION}`,
    );
    expect(deploy.status.availableReplicas).toBe(deploy.spec.replicas);
    // The box runs the snapshot-controller's pods and the CSI controller's csi-snapshotter as processes.
    const pods = (await csi.box.getJson('/api/v1/namespaces/kube-system/pods')).items as any[];
    const ctrlPods = pods.filter((p) => p.metadata.name.startsWith('snapshot-controller-'));
    expect(ctrlPods.length).toBeGreaterThan(0);
    for (const p of ctrlPods) expect(csi.box.runtime!.running()).toContain(`kube-system/${p.metadata.name}`);
    const [csiPod] = (
      await csi.box.getJson('/api/v1/namespaces/vmware-system-csi/pods?labelSelector=app%3Dvsphere-csi-controller')
    ).items as any[];
    await waitFor(
      'the csi-snapshotter sidecar to log its start',
      async () =>
        /snapshotter|Start/i.test(csi.box.runtime!.logOf('vmware-system-csi', csiPod.metadata.name, 'csi-snapshotter')),
      { timeoutMs: 30_000 },
    );
    const cls = (await csi.box.api('GET', `/apis/snapshot.storage.k8s.io/v1/volumesnapshotclasses/${CLASS}`)).body;
    expect(cls.driver).toBe('csi.vsphere.vmware.com');
    expect(cls.deletionPolicy).toBe('Delete');
    expect(cls.metadata.annotations['snapshot.storage.kubernetes.io/is-default-class']).toBe('true');

    const again = await csi.vk(['install', 'snapshots', '-o', 'json']);
    expect(again.code, again.stderr).toBe(0);
    const doc = JSON.parse(again.stdout);
    expect(new Set(doc.objects.map((o: any) => o.action))).toEqual(new Set(['unchanged']));
    expect(doc.verification).toMatchObject({ snapshotClass: true, sidecarReady: true, controller: 'vk' });
    expect(doc.verification.controllerPodsRunning).toBeGreaterThan(0);
    const check = await doctorSnapshots();
    expect(check).toMatchObject({ status: 'pass' });
    expect(check.detail).toBe(
      `snapshot-controller kube-system/snapshot-controller ${SNAPSHOTTER_VERSION}, csi-snapshotter ${SNAPSHOTTER_VERSION}, class ${CLASS} (default)`,
    );
  }, 300_000);

  it('smoke-test --snapshot: snapshot, restore and read the token back, step by step in JUnit; CNS holds the snapshot', async () => {
    const sc = await csi.vk(['storageclass', 'create', 'vsphere', '--datastore', 'LocalDS_0', '--default']);
    expect(sc.code, sc.stderr).toBe(0);
    const junit = join(tmp, 'report.xml');
    const r = await csi.vk(['smoke-test', '--snapshot', '--keep', '--junit', junit, '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    const status = Object.fromEntries(doc.steps.map((s: any) => [s.name, s.status]));
    expect(status).toMatchObject({ snapshot: 'passed', restore: 'passed', 'restore-reader': 'passed' });
    expect(doc.snapshot.snapshotClass).toBe(CLASS);

    // Read back without vk: the VolumeSnapshot is ready, its content's handle is the CNS snapshot in vcsim.
    const ns = doc.namespace as string;
    const vs = (await csi.box.api('GET', `/apis/snapshot.storage.k8s.io/v1/namespaces/${ns}/volumesnapshots/vk-smoke`))
      .body;
    expect(vs.status.readyToUse).toBe(true);
    const content = (
      await csi.box.api(
        'GET',
        `/apis/snapshot.storage.k8s.io/v1/volumesnapshotcontents/${vs.status.boundVolumeSnapshotContentName}`,
      )
    ).body;
    const [volumeId, snapshotId] = String(content.status.snapshotHandle).split('+');
    expect(volumeId).toBe(doc.volume.volumeHandle);
    const cnsSnapshots = await csi.box.vcsim!.inspect('cns-snapshots');
    // csi-snapshotter names the snapshot "snapshot-<VolumeSnapshot UID>"; the stand-in keeps it as the CNS description.
    expect(cnsSnapshots).toContainEqual({ volumeId, snapshotId, description: `snapshot-${vs.metadata.uid}` });
    // The restored claim is another CNS volume, created from the snapshot.
    const restored = (await csi.box.api('GET', `/api/v1/namespaces/${ns}/persistentvolumeclaims/vk-smoke-restore`))
      .body;
    expect(restored.spec.dataSource).toMatchObject({ kind: 'VolumeSnapshot', name: 'vk-smoke' });
    const pv = (await csi.box.api('GET', `/api/v1/persistentvolumes/${restored.spec.volumeName}`)).body;
    const restoredHandle = pv.spec.csi.volumeHandle as string;
    expect(restoredHandle).not.toBe(volumeId);
    expect((await csi.cnsVolumes()).map((v) => v.id)).toEqual(expect.arrayContaining([volumeId, restoredHandle]));
    // The data: the reader of the restored claim read the stand-in disk copied with the snapshot, and says so.
    const disks = await standInDisks(csi.box, ns);
    expect(disks.get(restoredHandle)).toBeDefined();
    expect(readToken(disks.get(restoredHandle)!)).toBe(readToken(disks.get(volumeId!)!));

    const suite = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(readFileSync(junit, 'utf8'))
      .testsuites.testsuite;
    const cases = (suite.testcase as any[]).map((c) => c.classname);
    expect(cases).toEqual(
      expect.arrayContaining(['vk.smoke-test.snapshot', 'vk.smoke-test.restore', 'vk.smoke-test.restore-reader']),
    );
    expect(suite.failures).toBe('0');

    // Deleting the VolumeSnapshot deletes the snapshot in CNS (deletionPolicy Delete, through csi-snapshotter).
    await csi.box.kubectl(['-n', ns, 'delete', 'volumesnapshot', 'vk-smoke', '--wait=true', '--timeout=60s']);
    await csi.box.kubectl(['delete', 'namespace', ns, '--wait=true', '--timeout=120s']);
    await waitFor(
      'the CNS snapshot to be deleted',
      async () => !(await csi.box.vcsim!.inspect('cns-snapshots')).some((s) => s.snapshotId === snapshotId),
      { timeoutMs: 60_000 },
    );
  }, 300_000);

  it('smoke-test --snapshot without --keep leaves no namespace and no CNS snapshot behind', async () => {
    const r = await csi.vk(['smoke-test', '--snapshot', '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.cleanup).toBe('deleted');
    expect((await csi.box.api('GET', `/api/v1/namespaces/${doc.namespace}`)).status).toBe(404);
    await waitFor(
      'no CNS snapshot of the smoke test volume',
      async () => !(await csi.box.vcsim!.inspect('cns-snapshots')).some((x) => x.volumeId === doc.volume.volumeHandle),
      { timeoutMs: 30_000 },
    );
  }, 300_000);

  it('--snapshot-class that does not exist: exit 2 naming the classes, nothing created', async () => {
    const smokeNamespaces = async () =>
      ((await csi.box.getJson('/api/v1/namespaces')).items as any[])
        .map((n) => n.metadata.name as string)
        .filter((n) => n.startsWith('vk-smoke-'));
    const before = await smokeNamespaces();
    const r = await csi.vk(['smoke-test', '--snapshot', '--snapshot-class', 'gold']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: volumesnapshotclass "gold" not found/m);
    expect(r.stderr).toContain(`${CLASS} (csi.vsphere.vmware.com)`);
    expect(await smokeNamespaces()).toEqual(before);
  });

  it('uninstall snapshots removes the controller and keeps the CRDs and the class', async () => {
    const r = await runVk(['uninstall', 'snapshots', '--yes'], { ...csi.box.env, NO_COLOR: '1' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('the snapshot CRDs, VolumeSnapshotClasses and snapshots were left alone');
    await waitFor('the snapshot-controller to be gone', async () => (await controller()).status === 404, {
      timeoutMs: 30_000,
    });
    expect(await crdNames()).toEqual([...CRDS].sort());
    expect((await csi.box.api('GET', `/apis/snapshot.storage.k8s.io/v1/volumesnapshotclasses/${CLASS}`)).status).toBe(
      200,
    );
    // CRDs without a controller: doctor warns, and names the fix.
    const check = await doctorSnapshots();
    expect(check).toMatchObject({ status: 'warn', fix: 'vk install snapshots' });
    expect(check.detail).toContain('no snapshot-controller runs');
  });
});
