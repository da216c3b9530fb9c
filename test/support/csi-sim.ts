// A stand-in for the vSphere CSI driver's data path, for the kube test server
// plus vcsim: the provisioner creates a real CNS volume in the simulator
// (CnsCreateVolume, as the driver does) and the PV carries its id as the
// volume handle; pods that write and read a token see one shared volume.
import { silentLogger } from '../../src/lib/cli/logger.js';
import { connect, type VsphereSession } from '../../src/lib/vsphere/connect.js';
import { waitForTasks } from '../../src/lib/vsphere/task.js';
import type { KubeObject, KubeServer } from './kube-server/index.js';
import type { Vcsim } from './vcsim.js';

export interface CsiSim {
  /** Volume ids created in vCenter, in order. */
  volumes: string[];
  stop(): Promise<void>;
}

/** Wires `server`'s provisioner to create CNS volumes on `datastore` in `sim`, and plays the smoke-test pods. */
export async function simulateCsiDriver(server: KubeServer, sim: Vcsim, datastore: string): Promise<CsiSim> {
  const session: VsphereSession = await connect(
    { url: sim.url, username: sim.username, password: sim.password, insecure: true, 'persist-session': false },
    {},
    { log: silentLogger, signal: new AbortController().signal },
  );
  const volumes: string[] = [];
  server.controllers.provisioner.onProvision = async (pv) => {
    volumes.push(await createCnsVolume(session, sim, pv, datastore));
  };
  playVolume(server);
  return { volumes, stop: () => session.release() };
}

/** CnsCreateVolume on the named datastore; the PV gets the new volume's id as its handle. */
async function createCnsVolume(
  session: VsphereSession,
  sim: Vcsim,
  pv: KubeObject,
  datastore: string,
): Promise<string> {
  const ds = (await sim.inspect('datastores')).find((d) => d.name === datastore);
  if (!ds) throw new Error(`csi-sim: no datastore ${datastore} in the simulator`);
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
  const done = (await waitForTasks(session.client, [task], { timeoutMs: 60_000 })).get(task.value)!;
  if (done.error) throw done.error;
  const info = done.info!;
  const result = info.result as { volumeResults?: { volumeId?: { id?: string } } | { volumeId?: { id?: string } }[] };
  const id = [result.volumeResults].flat()[0]?.volumeId?.id;
  if (!id) throw new Error(`CnsCreateVolume returned no volume id: ${JSON.stringify(info.result)}`);
  (pv.spec as { csi: { volumeHandle: string } }).csi.volumeHandle = id;
  return id;
}

/** The writer pod stores its TOKEN in the namespace's volume; the reader fails (exit 3) on a different one. */
export function playVolume(server: KubeServer): void {
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
