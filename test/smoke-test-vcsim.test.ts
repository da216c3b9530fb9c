// `vk storageclass create … --default && vk smoke-test --junit …` against vcsim
// and the kube test server: the provisioner creates each volume in vcsim's CNS
// (as the CSI driver would), so the CNS check passes and names the datastore;
// a volume vCenter does not know fails the run.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { playVolume, simulateCsiDriver } from './support/csi-sim.js';
import { startKubeServer, type KubeServer } from './support/kube-server/index.js';
import { runVk } from './support/run-vk.js';
import { startVcsim, type Vcsim } from './support/vcsim.js';

let sim: Vcsim;
let kube: KubeServer;
const tmp = mkdtempSync(join(tmpdir(), 'vk-smoke-vcsim-'));

beforeAll(async () => {
  sim = await startVcsim({ tls: false, nfs: 1 });
}, 120_000);
afterAll(async () => {
  await sim?.stop();
});
afterEach(() => kube?.stop());

const vk = (args: string[]) => runVk([...args, '--kubeconfig', kube.kubeconfigPath], { ...sim.env, NO_COLOR: '1' });

describe('vk smoke-test with vCenter', () => {
  it('storageclass create --default, then smoke-test --junit passes and reports the CNS datastore', async () => {
    kube = await startKubeServer({ nodes: 1 });
    const csi = await simulateCsiDriver(kube, sim, 'NFS_0');
    onTestFinished(() => csi.stop());
    const create = await vk(['storageclass', 'create', 'vsphere', '--datastore', 'NFS_0', '--default']);
    expect(create.code).toBe(0);

    const junit = join(tmp, 'report.xml');
    const r = await vk(['smoke-test', '--junit', junit, '-o', 'json']);
    expect(r.stderr).not.toContain('error:');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.storageClass).toBe('vsphere');
    const cns = doc.steps.find((s: { name: string }) => s.name === 'cns-volume');
    expect(cns.status).toBe('passed');
    expect([doc.volume.volumeHandle]).toEqual(csi.volumes);
    expect(doc.volume.datastore).toBe('NFS_0');
    expect(cns.message).toContain('on datastore NFS_0');

    const suite = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(readFileSync(junit, 'utf8'))
      .testsuites.testsuite;
    expect(suite.tests).toBe('6');
    expect(suite.failures).toBe('0');
    expect(suite.skipped).toBe('0');
    const props = Object.fromEntries(
      (suite.properties.property as { name: string; value: string }[]).map((p) => [p.name, p.value]),
    );
    expect(props.datastore).toBe('NFS_0');
    expect(kube.store.list('Namespace').filter((n) => n.metadata.name.startsWith('vk-smoke-'))).toEqual([]);
  });

  it('fails when the bound volume is not a CNS volume in vCenter', async () => {
    kube = await startKubeServer({ nodes: 1 });
    playVolume(kube); // no onProvision: vCenter never hears of the volume
    await vk(['storageclass', 'create', 'vsphere', '--datastore', 'NFS_0', '--default']);
    const r = await vk(['smoke-test']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /error: smoke test failed: CNS volume in vCenter: volume [0-9a-f-]{36} is not a CNS volume/,
    );
  });
});
