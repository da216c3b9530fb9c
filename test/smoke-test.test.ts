// `vk smoke-test` end to end: the built CLI against the in-memory kube API
// server, whose provisioner binds (or never binds) claims and whose pod runner
// plays the writer and reader by the rules below. What is left behind is read
// back from the server's store, not from vk's output.
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runVk, type VkResult } from './support/run-vk.js';
import { startKubeServer, type KubeObject, type KubeServer } from './support/kube-server/index.js';

const ROOT = join(import.meta.dirname, '..');
const home = mkdtempSync(join(tmpdir(), 'vk-smoke-home-'));

/** Runs the built CLI; `during` may act on the running child (e.g. send SIGTERM). */
function vk(args: string[], during?: (child: ChildProcess) => void): Promise<VkResult> {
  return runVk(args, { HOME: home, XDG_CONFIG_HOME: home, NO_COLOR: '1' }, { during });
}

function storageClass(name: string, isDefault: boolean): KubeObject {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: {
      name,
      annotations: isDefault ? { 'storageclass.kubernetes.io/is-default-class': 'true' } : {},
    },
    provisioner: 'csi.vsphere.vmware.com',
    parameters: { datastoreurl: 'ds:///vmfs/volumes/vsan:52b1c1f0/' },
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'Immediate',
  } as KubeObject;
}

const tokenOf = (pod: KubeObject): string | undefined =>
  (pod.spec as { containers: { env?: { name: string; value: string }[] }[] }).containers[0]?.env?.find(
    (e) => e.name === 'TOKEN',
  )?.value;

/**
 * The pod runner as a kubelet with a real volume would behave: the writer
 * stores its token per namespace, the reader succeeds only if its own token
 * matches what was stored (exit 3 otherwise, 4 when nothing was written).
 * `tamper` changes what the volume holds after the writer ran.
 */
function playVolume(server: KubeServer, tamper?: (token: string) => string): Map<string, string> {
  const volume = new Map<string, string>();
  server.controllers.pods.decideBy((pod) => {
    const ns = pod.metadata.namespace!;
    if (pod.metadata.name === 'vk-smoke-writer') {
      const t = tokenOf(pod)!;
      volume.set(ns, tamper ? tamper(t) : t);
      return { phase: 'Succeeded', log: 'wrote token\n' };
    }
    if (pod.metadata.name === 'vk-smoke-reader') {
      const stored = volume.get(ns);
      if (stored === undefined) return { phase: 'Failed', exitCode: 4 };
      return stored === tokenOf(pod) ? { phase: 'Succeeded' } : { phase: 'Failed', exitCode: 3 };
    }
    return undefined;
  });
  return volume;
}

const smokeNamespaces = (s: KubeServer) =>
  s.store.list('Namespace').filter((n) => n.metadata.name.startsWith('vk-smoke-'));

let server: KubeServer;
const tmp = mkdtempSync(join(tmpdir(), 'vk-smoke-out-'));

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist/commands/smoke-test.js'))) throw new Error('run `npm run build` first');
});

afterEach(async () => {
  await server?.stop();
});

async function start(): Promise<KubeServer> {
  server = await startKubeServer({ nodes: 2 });
  server.store.put(storageClass('vsan-default', true));
  server.store.put(storageClass('gold', false));
  return server;
}

describe('vk smoke-test', () => {
  it('passes on the default class: PVC bound, token written and read back, namespace deleted, exit 0', async () => {
    await start();
    const volume = playVolume(server);
    const junit = join(tmp, 'pass.xml');
    const r = await vk(['smoke-test', '--kubeconfig', server.kubeconfigPath, '--junit', junit, '-o', 'json']);
    expect(r.stderr).not.toContain('error:');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.passed).toBe(true);
    expect(doc.storageClass).toBe('vsan-default');
    expect(doc.namespace).toMatch(/^vk-smoke-[a-z0-9]{5}$/);
    expect(doc.cleanup).toBe('deleted');
    expect(doc.steps.map((s: { name: string; status: string }) => `${s.name}:${s.status}`)).toEqual([
      'namespace:passed',
      'pvc-bound:passed',
      'cns-volume:skipped',
      'writer:passed',
      'reader:passed',
      'cleanup:passed',
    ]);
    // The vCenter check is reported as skipped (no vCenter configured), never as passed.
    expect(doc.steps[2].message).toMatch(/no vCenter configured/);
    expect(doc.volume.volumeHandle).toMatch(/^[0-9a-f-]{36}$/);
    // The writer really ran in the namespace vk reports, and it is gone now.
    expect([...volume.keys()]).toEqual([doc.namespace]);
    expect(server.store.get('Namespace', doc.namespace)).toBeUndefined();
    expect(smokeNamespaces(server)).toEqual([]);
    // Plain progress lines with durations on stderr (not a TTY).
    expect(r.stderr).toMatch(
      /^PersistentVolumeClaim bound \(vsan-default, 1Gi, RWO\): done \(\d+(ms|\.?\d*s)\): bound to pvc-/m,
    );
    expect(r.stderr).toMatch(/^CNS volume in vCenter: skipped \(\d+(ms|\.?\d*s)\): no vCenter configured/m);

    const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(readFileSync(junit, 'utf8'));
    const suite = xml.testsuites.testsuite;
    expect(suite.tests).toBe('6');
    expect(suite.failures).toBe('0');
    expect(suite.skipped).toBe('1');
    expect(suite.testcase.map((c: { classname: string }) => c.classname)).toEqual([
      'vk.smoke-test.namespace',
      'vk.smoke-test.pvc-bound',
      'vk.smoke-test.cns-volume',
      'vk.smoke-test.writer',
      'vk.smoke-test.reader',
      'vk.smoke-test.cleanup',
    ]);
    expect(suite.testcase[2].skipped.message).toMatch(/no vCenter configured/);
  });

  it('uses --storage-class, --size, --access-mode and --image on the objects it creates', async () => {
    await start();
    playVolume(server);
    const seen: KubeObject[] = [];
    server.controllers.pods.decideBy((pod) => {
      seen.push(pod);
      return undefined;
    });
    const claims: KubeObject[] = [];
    server.controllers.provisioner.onProvision = (_pv, pvc) => void claims.push(pvc);
    const r = await vk([
      'smoke-test',
      '--kubeconfig',
      server.kubeconfigPath,
      '--storage-class',
      'gold',
      '--size',
      '2Gi',
      '--access-mode',
      'RWX',
      '--image',
      'registry.example.com/lib/busybox:1.36',
      '--keep',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^STEP\s+RESULT\s+DURATION\s+DETAILS\n/);
    const spec = claims[0]!.spec as { storageClassName: string; accessModes: string[]; resources: unknown };
    expect(spec.storageClassName).toBe('gold');
    expect(spec.accessModes).toEqual(['ReadWriteMany']);
    expect(spec.resources).toEqual({ requests: { storage: '2Gi' } });
    const images = seen.map((p) => (p.spec as { containers: { image: string }[] }).containers[0]!.image);
    expect(images).toEqual(['registry.example.com/lib/busybox:1.36', 'registry.example.com/lib/busybox:1.36']);
    // --keep: the namespace and its claim stay, and vk says how to delete them.
    const [ns] = smokeNamespaces(server);
    expect(ns).toBeDefined();
    expect(server.store.list('PersistentVolumeClaim', ns!.metadata.name)).toHaveLength(1);
    expect(r.stderr).toContain(`kubectl delete namespace ${ns!.metadata.name}`);
  });

  it('fails with exit 1 when the PVC never binds, naming the provisioner failure, and cleans up', async () => {
    await start();
    server.controllers.provisioner.failWith = 'failed to create volume: no shared datastore found';
    const junit = join(tmp, 'unbound.xml');
    const r = await vk(['smoke-test', '--kubeconfig', server.kubeconfigPath, '--timeout', '1s', '--junit', junit]);
    expect(r.code).toBe(1);
    const error = r.stderr.split('\n').filter((l) => l.startsWith('error: '));
    expect(error).toHaveLength(1);
    expect(error[0]).toMatch(/persistentvolumeclaim.*vk-smoke: still Pending, not Bound after 1s/i);
    expect(error[0]).toContain('ProvisioningFailed');
    expect(error[0]).toContain('no shared datastore found');
    expect(smokeNamespaces(server)).toEqual([]);
    const suite = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(readFileSync(junit, 'utf8'))
      .testsuites.testsuite;
    expect(suite.failures).toBe('1');
    const failed = suite.testcase.find((c: { classname: string }) => c.classname === 'vk.smoke-test.pvc-bound');
    expect(failed.failure.message).toContain('ProvisioningFailed');
    const writer = suite.testcase.find((c: { classname: string }) => c.classname === 'vk.smoke-test.writer');
    expect(writer.skipped.message).toBe('not run: an earlier step failed');
  });

  it('fails with exit 1 when the writer pod fails, and does not run the reader', async () => {
    await start();
    server.controllers.pods.whenName(/^vk-smoke-writer$/, { phase: 'Failed', exitCode: 1 });
    const readers: string[] = [];
    server.controllers.pods.decideBy((pod) => {
      if (pod.metadata.name === 'vk-smoke-reader') readers.push(pod.metadata.name);
      return undefined;
    });
    const r = await vk(['smoke-test', '--kubeconfig', server.kubeconfigPath, '-o', 'json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /error: smoke test failed: Writer pod wrote the token: pod vk-smoke-\w+\/vk-smoke-writer failed \(Error, exit code 1\)/,
    );
    const doc = JSON.parse(r.stdout);
    expect(doc.passed).toBe(false);
    expect(doc.steps.find((s: { name: string }) => s.name === 'reader').status).toBe('skipped');
    expect(readers).toEqual([]);
    expect(smokeNamespaces(server)).toEqual([]);
  });

  it('fails with exit 1 when the reader sees a different token', async () => {
    await start();
    playVolume(server, (t) => t.split('').reverse().join(''));
    const r = await vk(['smoke-test', '--kubeconfig', server.kubeconfigPath]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error: .*vk-smoke-reader read a different token than the writer wrote/);
    expect(r.stderr).toMatch(/^Reader pod read the token back: failed \(\d+(ms|\.?\d*s)\): pod .* read a different/m);
    expect(r.stdout).toMatch(/Reader pod read the token back\s+FAILED/);
    expect(smokeNamespaces(server)).toEqual([]);
  });

  it('times out a pod that never completes, says what was pending, and cleans up', async () => {
    await start();
    server.controllers.pods.enabled = false;
    const r = await vk(['smoke-test', '--kubeconfig', server.kubeconfigPath, '--timeout', '1500ms']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /error: .*pod vk-smoke-\w+\/vk-smoke-writer: phase Pending, waiting for Succeeded or Failed after 1\.5s/,
    );
    expect(smokeNamespaces(server)).toEqual([]);
  });

  it('SIGTERM mid-run deletes the namespace, writes the JUnit report and exits 130', async () => {
    await start();
    server.controllers.provisioner.enabled = false; // the claim stays Pending until the signal
    const junit = join(tmp, 'sigterm.xml');
    let sent = false;
    const r = await vk(['smoke-test', '--kubeconfig', server.kubeconfigPath, '--junit', junit], (child) => {
      const poll = setInterval(() => {
        const ns = smokeNamespaces(server)[0];
        if (!sent && ns && server.store.list('PersistentVolumeClaim', ns.metadata.name).length) {
          sent = true;
          clearInterval(poll);
          child.kill('SIGTERM');
        }
      }, 20);
      child.on('close', () => clearInterval(poll));
    });
    expect(sent).toBe(true);
    expect(r.code).toBe(130);
    expect(r.stderr).toContain('received SIGTERM, cleaning up');
    expect(smokeNamespaces(server)).toEqual([]);
    const suite = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(readFileSync(junit, 'utf8'))
      .testsuites.testsuite;
    const cases = suite.testcase as { classname: string; failure?: { message: string } }[];
    expect(cases.find((c) => c.classname === 'vk.smoke-test.pvc-bound')!.failure!.message).toMatch(/interrupted/);
    expect(cases.find((c) => c.classname === 'vk.smoke-test.cleanup')!.failure).toBeUndefined();
  });

  it('without a default StorageClass: exit 2 listing the classes, nothing created', async () => {
    server = await startKubeServer({ nodes: 1 });
    server.store.put(storageClass('gold', false));
    server.store.put(storageClass('silver', false));
    const rv = server.store.resourceVersion;
    const r = await vk(['smoke-test', '--kubeconfig', server.kubeconfigPath]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      "error: the cluster has no default StorageClass; pass --storage-class NAME (the cluster has: gold, silver) or mark one with 'vk storageclass create NAME --default'",
    );
    expect(server.store.resourceVersion).toBe(rv);

    const unknown = await vk(['smoke-test', '--kubeconfig', server.kubeconfigPath, '--storage-class', 'bronze']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('storageclass "bronze" not found; the cluster has: gold, silver');
  });

  it('rejects bad flags with exit 2 before any request', async () => {
    for (const args of [
      ['--size', 'lots'],
      ['--timeout', 'soon'],
      ['--access-mode', 'ROX'],
    ]) {
      const r = await vk(['smoke-test', '--kubeconfig', '/nonexistent/kubeconfig', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    }
  });
});
