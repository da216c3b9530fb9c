// `vk storageclass create … --default && vk smoke-test --junit …` against vcsim
// and the kube test server: the provisioner creates each volume in vcsim's CNS
// (as the CSI driver would), so the CNS check passes and names the datastore;
// a volume vCenter does not know fails the run.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../src/lib/cli/logger.js';
import { connect, type VsphereSession } from '../src/lib/vsphere/connect.js';
import { waitForTasks } from '../src/lib/vsphere/task.js';
import { startKubeServer, type KubeObject, type KubeServer } from './support/kube-server/index.js';
import { runVk } from './support/run-vk.js';
import { startVcsim, type Vcsim } from './support/vcsim.js';

let sim: Vcsim;
let session: VsphereSession;
let kube: KubeServer;
const createdVolumes: string[] = [];
const tmp = mkdtempSync(join(tmpdir(), 'vk-smoke-vcsim-'));

beforeAll(async () => {
  sim = await startVcsim({ tls: false, nfs: 1 });
  session = await connect(
    { url: sim.url, username: sim.username, password: sim.password, 'persist-session': false },
    {},
    { log: silentLogger, signal: new AbortController().signal },
  );
}, 120_000);
afterAll(async () => {
  await session?.release();
  await sim?.stop();
});
afterEach(() => kube?.stop());

/** CnsCreateVolume on the named datastore, as the CSI driver does; the PV gets the new volume's id as its handle. */
async function createCnsVolume(pv: KubeObject, datastore: string): Promise<void> {
  const ds = (await sim.inspect('datastores')).find((d) => d.name === datastore)!;
  const cns = session.client.service({ path: '/vsanHealth' });
  const task = await cns.invoke<{ type: string; value: string }>(
    'CnsCreateVolume',
    { type: 'CnsVolumeManager', value: 'cns-volume-manager' },
    {
      createSpecs: [
        {
          name: pv.metadata.name,
          volumeType: 'BLOCK',
          metadata: {
            containerCluster: {
              clusterType: 'KUBERNETES',
              clusterId: 'vk-test',
              vSphereUser: sim.username,
              clusterFlavor: 'VANILLA',
            },
          },
          datastores: [{ type: 'Datastore', value: ds.ref.replace(/^Datastore:/, '') }],
          backingObjectDetails: { _type: 'CnsBlockBackingDetails', capacityInMb: 1024 },
        },
      ],
    },
    'ManagedObjectReference',
  );
  const info = (await waitForTasks(session.client, [task])).get(task.value)!;
  const result = info.result as { volumeResults?: { volumeId?: { id?: string } } | { volumeId?: { id?: string } }[] };
  const id = [result.volumeResults].flat()[0]?.volumeId?.id;
  if (!id) throw new Error(`CnsCreateVolume returned no volume id: ${JSON.stringify(info.result)}`);
  (pv.spec as { csi: { volumeHandle: string } }).csi.volumeHandle = id;
  createdVolumes.push(id);
}

function playVolume(server: KubeServer): void {
  const volume = new Map<string, string>();
  const token = (pod: KubeObject) =>
    (pod.spec as { containers: { env: { name: string; value: string }[] }[] }).containers[0]!.env.find(
      (e) => e.name === 'TOKEN',
    )!.value;
  server.controllers.pods.decideBy((pod) => {
    const ns = pod.metadata.namespace!;
    if (pod.metadata.name === 'vk-smoke-writer') volume.set(ns, token(pod));
    else if (pod.metadata.name === 'vk-smoke-reader' && volume.get(ns) !== token(pod))
      return { phase: 'Failed', exitCode: 3 };
    return { phase: 'Succeeded' };
  });
}

const vk = (args: string[]) => runVk([...args, '--kubeconfig', kube.kubeconfigPath], { ...sim.env, NO_COLOR: '1' });

describe('vk smoke-test with vCenter', () => {
  it('storageclass create --default, then smoke-test --junit passes and reports the CNS datastore', async () => {
    kube = await startKubeServer({ nodes: 1 });
    kube.controllers.provisioner.onProvision = (pv) => createCnsVolume(pv, 'NFS_0');
    playVolume(kube);
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
    expect([doc.volume.volumeHandle]).toEqual(createdVolumes);
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
