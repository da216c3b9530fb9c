// `vk smoke-test` end to end in the box: vk installs the CSI driver, the
// real csi-provisioner binds the claim to a CNS volume (made by the CSI
// stand-in in vcsim), the real csi-attacher attaches it, and the box's pod
// runtime runs the writer's and reader's real `sh -c` scripts against the
// stand-in disk directory of that volume (test/box/shell-pod.ts). What is
// left behind is read back from the API server, vcsim's CNS endpoint and the
// stand-in disk, not from vk's output.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it, onTestFinished } from 'vitest';
import { waitFor } from './box/process.js';
import { readToken, standInDisks, useCsiBox } from './support/csi-box.js';
import { runVk } from './support/run-vk.js';
import { fileServicesEnabled, setFileServices } from './support/vsan-config.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- API objects are read as served */

const csi = useCsiBox();
const tmp = mkdtempSync(join(tmpdir(), 'vk-smoke-out-'));
const parseXml = (file: string) =>
  new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(readFileSync(file, 'utf8')).testsuites
    .testsuite;
const smokeNamespaces = async () =>
  ((await csi.box.getJson('/api/v1/namespaces')).items as any[])
    .map((n) => n.metadata.name as string)
    .filter((n) => n.startsWith('vk-smoke-'));
const diskDir = (handle: string) => join(csi.box.dir, 'volumes', handle);
// The nodes' VMs run on the hosts of this cluster; ReadWriteMany needs vSAN File Services there.
const NODE_CLUSTER = '/DC0/host/DC0_C0';
const vsanAccount = () => ({
  url: csi.box.vcsim!.url,
  username: csi.box.vcsim!.username,
  password: csi.box.vcsim!.password,
});
/** vSAN File Services on for the rest of the test, off again after it (checked by reading vcsim, not vk). */
async function withFileServices(): Promise<void> {
  await setFileServices(vsanAccount(), NODE_CLUSTER, true);
  onTestFinished(() => setFileServices(vsanAccount(), NODE_CLUSTER, false));
  expect(await fileServicesEnabled(vsanAccount(), NODE_CLUSTER)).toBe(true);
}

// Each run provisions, attaches and deletes a real (simulated) volume; a loaded machine needs minutes.
const T = 300_000;

describe('vk smoke-test in the box', () => {
  it(
    'without a default StorageClass: exit 2 listing the classes, nothing created',
    async () => {
      for (const name of ['gold', 'silver']) {
        const sc = await csi.vk(['storageclass', 'create', name, '--datastore', 'LocalDS_0']);
        expect(sc.code, sc.stderr).toBe(0);
      }
      const r = await csi.vk(['smoke-test']);
      expect(r.code).toBe(2);
      expect(r.stderr.trim()).toBe(
        "error: the cluster has no default StorageClass; pass --storage-class NAME (the cluster has: gold, silver) or mark one with 'vk storageclass create NAME --default'",
      );
      const unknown = await csi.vk(['smoke-test', '--storage-class', 'bronze']);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain('storageclass "bronze" not found; the cluster has: gold, silver');
      expect(await smokeNamespaces()).toEqual([]);
    },
    T,
  );

  it(
    'passes on the default class: PVC bound to a CNS volume, token written to its disk and read back, namespace deleted, exit 0',
    async () => {
      const sc = await csi.vk(['storageclass', 'create', 'box-default', '--datastore', 'LocalDS_0', '--default']);
      expect(sc.code, sc.stderr).toBe(0);
      const junit = join(tmp, 'pass.xml');
      const r = await csi.vk(['smoke-test', '--junit', junit, '-o', 'json']);
      expect(r.stderr).not.toContain('error:');
      expect(r.code).toBe(0);
      const doc = JSON.parse(r.stdout);
      expect(doc.passed).toBe(true);
      expect(doc.storageClass).toBe('box-default');
      expect(doc.namespace).toMatch(/^vk-smoke-[a-z0-9]{5}$/);
      expect(doc.cleanup).toBe('deleted');
      expect(doc.steps.map((s: { name: string; status: string }) => `${s.name}:${s.status}`)).toEqual([
        'namespace:passed',
        'pvc-bound:passed',
        'cns-volume:passed',
        'writer:passed',
        'reader:passed',
        'cleanup:passed',
      ]);
      expect(doc.volume.datastore).toBe('LocalDS_0');
      // The writer's shell really wrote a 32-hex-digit token on the disk of the volume vk reports.
      const handle = doc.volume.volumeHandle as string;
      expect(readToken(diskDir(handle))).toMatch(/^[0-9a-f]{32}$/);
      // Cleanup: the namespace is gone, and with it (reclaim Delete, the real provisioner) the CNS volume.
      expect(await smokeNamespaces()).toEqual([]);
      await waitFor('the CNS volume deleted', async () => !(await csi.cnsVolumes()).some((v) => v.id === handle), {
        timeoutMs: 60_000,
      });
      // Plain progress lines with durations on stderr (not a TTY).
      expect(r.stderr).toMatch(
        /^PersistentVolumeClaim bound \(box-default, 1Gi, RWO\): done \(\d+(ms|\.?\d*s)\): bound to pvc-/m,
      );
      expect(r.stderr).toMatch(/^CNS volume in vCenter: done \(\d+(ms|\.?\d*s)\): .*LocalDS_0/m);

      const suite = parseXml(junit);
      expect(suite.tests).toBe('6');
      expect(suite.failures).toBe('0');
      expect(suite.skipped).toBe('0');
      expect(suite.testcase.map((c: { classname: string }) => c.classname)).toEqual([
        'vk.smoke-test.namespace',
        'vk.smoke-test.pvc-bound',
        'vk.smoke-test.cns-volume',
        'vk.smoke-test.writer',
        'vk.smoke-test.reader',
        'vk.smoke-test.cleanup',
      ]);
    },
    T,
  );

  it(
    'uses --storage-class, --size and --image on the objects it creates; --keep leaves them for inspection',
    async () => {
      const r = await csi.vk([
        'smoke-test',
        '--storage-class',
        'gold',
        '--size',
        '2Gi',
        '--image',
        'registry.example.com/lib/busybox:1.36',
        '--keep',
      ]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^STEP\s+RESULT\s+DURATION\s+DETAILS\n/);
      const [ns] = await smokeNamespaces();
      expect(ns).toBeDefined();
      onTestFinished(async () => {
        await csi.box.kubectl(['delete', 'namespace', ns!, '--wait=true', '--timeout=120s']);
      });
      expect(r.stderr).toContain(`kubectl delete namespace ${ns}`);
      const pvc = await csi.box.getJson(`/api/v1/namespaces/${ns}/persistentvolumeclaims/vk-smoke`);
      expect(pvc.spec.storageClassName).toBe('gold');
      expect(pvc.spec.accessModes).toEqual(['ReadWriteOnce']);
      expect(pvc.spec.resources).toEqual({ requests: { storage: '2Gi' } });
      // Bound by the real external-provisioner, to a CNS volume vcsim holds.
      expect(pvc.status.phase).toBe('Bound');
      expect(pvc.metadata.annotations['volume.kubernetes.io/storage-provisioner']).toBe('csi.vsphere.vmware.com');
      const pv = await csi.box.getJson(`/api/v1/persistentvolumes/${pvc.spec.volumeName}`);
      const handle = pv.spec.csi.volumeHandle as string;
      expect((await csi.cnsVolumes()).map((v) => v.id)).toContain(handle);
      const pods = (await csi.box.getJson(`/api/v1/namespaces/${ns}/pods`)).items as any[];
      expect(pods.map((p) => `${p.metadata.name}:${p.status.phase}`).sort()).toEqual([
        'vk-smoke-reader:Succeeded',
        'vk-smoke-writer:Succeeded',
      ]);
      expect(pods.map((p) => p.spec.containers[0].image)).toEqual([
        'registry.example.com/lib/busybox:1.36',
        'registry.example.com/lib/busybox:1.36',
      ]);
      // The stand-in disk is named on the pods' events; it holds the writer's token.
      const disks = await standInDisks(csi.box, ns!);
      expect([...disks.keys()]).toEqual([handle]);
      expect(disks.get(handle)).toBe(diskDir(handle));
      const writer = pods.find((p) => p.metadata.name === 'vk-smoke-writer');
      const token = writer.spec.containers[0].env.find((e: any) => e.name === 'TOKEN').value;
      expect(readToken(diskDir(handle))).toBe(token);
      // The pod logs are the scripts' output (kwok serves the runtime's log files); the
      // script's mount path reads as the stand-in disk, since the box rewrites it in the script.
      expect(await csi.box.kubectl(['logs', '-n', ns!, 'vk-smoke-writer'])).toBe(
        `wrote token to ${diskDir(handle)}/vk-smoke-token\n`,
      );
      expect(await csi.box.kubectl(['logs', '-n', ns!, 'vk-smoke-reader'])).toBe(`read token ${token}\n`);
    },
    T,
  );

  it(
    'fails with exit 1 when the reader reads a different token than the writer wrote (the disk changed in between)',
    async () => {
      mkdirSync(join(csi.box.dir, 'volumes'), { recursive: true });
      const before = new Set(readdirSync(join(csi.box.dir, 'volumes')));
      let corrupted = '';
      const poll = setInterval(() => {
        for (const handle of readdirSync(join(csi.box.dir, 'volumes'))) {
          const file = join(diskDir(handle), 'vk-smoke-token');
          if (before.has(handle) || corrupted || !existsSync(file)) continue;
          const token = readFileSync(file, 'utf8');
          if (token.length !== 32) continue;
          corrupted = token.split('').reverse().join('');
          writeFileSync(file, corrupted);
        }
      }, 10);
      const r = await csi.vk(['smoke-test']).finally(() => clearInterval(poll));
      expect(corrupted).not.toBe('');
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/error: .*vk-smoke-reader read a different token than the writer wrote/);
      expect(r.stderr).toMatch(/^Reader pod read the token back: failed \(\d+(ms|\.?\d*s)\): pod .* read a different/m);
      expect(r.stdout).toMatch(/Reader pod read the token back\s+FAILED/);
      expect(await smokeNamespaces()).toEqual([]);
    },
    T,
  );

  it(
    'a writer whose image cannot be pulled: exit 1 naming ErrImagePull after --timeout, the reader never runs, cleanup',
    async () => {
      // registry.invalid never resolves (RFC 6761); the box's kubelets report ErrImagePull for it.
      const r = await csi.vk([
        'smoke-test',
        '--image',
        'registry.invalid/busybox:1.36',
        '--timeout',
        '20s',
        '-o',
        'json',
      ]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /error: smoke test failed: Writer pod wrote the token: .*pod vk-smoke-\w+\/vk-smoke-writer: phase Pending, waiting for Succeeded or Failed \(container writer: ErrImagePull: .*registry\.invalid\/busybox:1\.36.*\) after 20s/,
      );
      const doc = JSON.parse(r.stdout);
      expect(doc.passed).toBe(false);
      expect(doc.steps.find((s: { name: string }) => s.name === 'reader').status).toBe('skipped');
      expect(doc.steps.find((s: { name: string }) => s.name === 'reader').message).toBe(
        'not run: an earlier step failed',
      );
      expect(await smokeNamespaces()).toEqual([]);
    },
    T,
  );

  it(
    "RWX with vSAN File Services off on the nodes' cluster: exit 1 before anything is created, naming the cluster and the fix",
    async () => {
      expect(await fileServicesEnabled(vsanAccount(), NODE_CLUSTER)).toBe(false);
      const junit = join(tmp, 'no-file-services.xml');
      const r = await csi.vk(['smoke-test', '--access-mode', 'RWX', '--timeout', '20s', '--junit', junit]);
      expect(r.code).toBe(1);
      expect(r.stderr.split('\n').filter(Boolean)).toEqual([
        "error: vSAN File Services is not enabled on cluster DC0_C0 of the nodes' hosts: ReadWriteMany volumes cannot be created there; enable vSAN File Services in the vSphere Client: Cluster > Configure > vSAN > Services > File Service",
      ]);
      expect(r.stdout).toBe('');
      // Nothing was created: no namespace, no claim, no report.
      expect(await smokeNamespaces()).toEqual([]);
      const claims = (await csi.box.getJson('/api/v1/persistentvolumeclaims')).items as any[];
      expect(claims.filter((c) => c.metadata.name === 'vk-smoke')).toEqual([]);
      expect(existsSync(junit)).toBe(false);
    },
    T,
  );

  it(
    'RWX without a vCenter to ask: warns that vSAN File Services cannot be checked and goes on',
    async () => {
      const env = Object.fromEntries(Object.entries(csi.box.env).filter(([k]) => !k.startsWith('GOVC_')));
      const r = await runVk(['smoke-test', '--access-mode', 'RWX', '--timeout', '3s', '-o', 'json'], {
        ...env,
        NO_COLOR: '1',
      });
      expect(r.stderr).toMatch(
        /^warning: cannot check vSAN File Services: no vCenter configured \(pass --url or set GOVC_URL\); going on$/m,
      );
      // It went on: the claim was created (and then timed out Pending), the namespace cleaned up.
      expect(r.code).toBe(1);
      const doc = JSON.parse(r.stdout);
      expect(doc.steps.find((s: { name: string }) => s.name === 'namespace').status).toBe('passed');
      expect(doc.steps.find((s: { name: string }) => s.name === 'pvc-bound').status).toBe('failed');
      expect(await smokeNamespaces()).toEqual([]);
    },
    T,
  );

  it(
    'fails with exit 1 when the PVC never binds, naming the provisioner failure, and cleans up',
    async () => {
      // With vSAN File Services on, the RWX claim reaches the CSI controller, which refuses the block volume.
      await withFileServices();
      const junit = join(tmp, 'unbound.xml');
      const r = await csi.vk(['smoke-test', '--access-mode', 'RWX', '--timeout', '20s', '--junit', junit]);
      expect(r.code).toBe(1);
      const error = r.stderr.split('\n').filter((l) => l.startsWith('error: '));
      expect(error).toHaveLength(1);
      expect(error[0]).toMatch(/persistentvolumeclaim.*vk-smoke: still Pending, not Bound after 20s/i);
      expect(error[0]).toContain('ProvisioningFailed');
      expect(error[0]).toMatch(/access mode MULTI_NODE_MULTI_WRITER is not supported/);
      expect(await smokeNamespaces()).toEqual([]);
      const suite = parseXml(junit);
      expect(suite.failures).toBe('1');
      const failed = suite.testcase.find((c: { classname: string }) => c.classname === 'vk.smoke-test.pvc-bound');
      expect(failed.failure.message).toContain('ProvisioningFailed');
      const writer = suite.testcase.find((c: { classname: string }) => c.classname === 'vk.smoke-test.writer');
      expect(writer.skipped.message).toBe('not run: an earlier step failed');
    },
    T,
  );

  it(
    'SIGTERM mid-run deletes the namespace, writes the JUnit report and exits 130',
    async () => {
      const junit = join(tmp, 'sigterm.xml');
      let sent = false;
      const earlier = new Set(await smokeNamespaces());
      // An RWX claim stays Pending (see above) until the signal.
      await withFileServices();
      const r = await csi.vk(['smoke-test', '--access-mode', 'RWX', '--junit', junit], {
        during: (child) => {
          const poll = setInterval(async () => {
            const ns = (await smokeNamespaces()).find((n) => !earlier.has(n));
            if (sent || !ns) return;
            const claims = (await csi.box.getJson(`/api/v1/namespaces/${ns}/persistentvolumeclaims`)).items;
            if (claims.length && !sent) {
              sent = true;
              clearInterval(poll);
              child.kill('SIGTERM');
            }
          }, 100);
          child.on('close', () => clearInterval(poll));
        },
      });
      expect(sent).toBe(true);
      expect(r.code, r.stderr).toBe(130);
      expect(r.stderr).toContain('received SIGTERM, cleaning up');
      expect(await smokeNamespaces()).toEqual([]);
      const cases = parseXml(junit).testcase as { classname: string; failure?: { message: string } }[];
      expect(cases.find((c) => c.classname === 'vk.smoke-test.pvc-bound')!.failure!.message).toMatch(/interrupted/);
      expect(cases.find((c) => c.classname === 'vk.smoke-test.cleanup')!.failure).toBeUndefined();
    },
    T,
  );

  it(
    'rejects bad flags with exit 2 before any request',
    async () => {
      for (const args of [
        ['--size', 'lots'],
        ['--timeout', 'soon'],
        ['--access-mode', 'ROX'],
      ]) {
        const r = await runVk(['smoke-test', '--kubeconfig', '/nonexistent/kubeconfig', ...args]);
        expect(r.code, args.join(' ')).toBe(2);
        expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
      }
    },
    T,
  );
});
