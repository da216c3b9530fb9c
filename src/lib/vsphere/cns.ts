// Cloud Native Storage (CNS): the vCenter service the vSphere CSI driver
// creates its volumes through, served at /vsanHealth with urn:vim25 methods on
// the CnsVolumeManager (as govmomi's cns client and vcsim do). CnsQueryVolume
// answers whether a CSI volume handle is a CNS volume and on which datastore.

import { VkError } from '../core/errors.js';
import type { VsphereSession } from './connect.js';
import { listDatastores } from './datastores.js';
import { findFault, HttpError } from './soap/faults.js';

export const CNS_PATH = '/vsanHealth';
const CNS_VOLUME_MANAGER = { type: 'CnsVolumeManager', value: 'cns-volume-manager' };

/** vCenter does not serve the CNS API (older vCenter, plain ESXi, or a simulator without it). */
export class CnsUnavailableError extends VkError {
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'CnsUnavailableError';
  }
}

export interface CnsVolume {
  id: string;
  name: string;
  volumeType?: string;
  datastoreUrl?: string;
  /** The datastore's name, resolved from datastoreUrl; undefined when no datastore has that URL. */
  datastore?: string;
  healthStatus?: string;
}

interface WireVolume {
  volumeId?: { id?: string };
  name?: string;
  volumeType?: string;
  datastoreUrl?: string;
  healthStatus?: string;
}

/** The CNS volume with this id (a PV's spec.csi.volumeHandle), or undefined when vCenter has none. */
export async function queryCnsVolume(session: VsphereSession, volumeId: string): Promise<CnsVolume | undefined> {
  const cns = session.client.service({ path: CNS_PATH });
  let result: { volumes?: WireVolume[] } | undefined;
  try {
    result = await cns.invoke(
      'CnsQueryVolume',
      CNS_VOLUME_MANAGER,
      { filter: { volumeIds: [{ id: volumeId }] } },
      'CnsQueryResult',
    );
  } catch (err) {
    if (isUnavailable(err)) {
      throw new CnsUnavailableError(
        `vCenter ${session.client.hostPort} does not serve the CNS API at ${CNS_PATH} (${(err as Error).message})`,
        err,
      );
    }
    throw err;
  }
  const found = result?.volumes?.find((v) => v.volumeId?.id === volumeId);
  if (!found) return undefined;
  const volume: CnsVolume = {
    id: volumeId,
    name: found.name ?? '',
    volumeType: found.volumeType,
    datastoreUrl: found.datastoreUrl,
    healthStatus: found.healthStatus,
  };
  if (found.datastoreUrl) {
    const datastores = await listDatastores(session.client);
    volume.datastore = datastores.find((d) => sameUrl(d.url, found.datastoreUrl!))?.name;
  }
  return volume;
}

const sameUrl = (a: string, b: string) => a.replace(/\/+$/, '') === b.replace(/\/+$/, '');

/** No CNS endpoint (HTTP 404/501/503) or no CnsVolumeManager/method behind it. */
function isUnavailable(err: unknown): boolean {
  if (err instanceof HttpError) return [404, 501, 503].includes(err.status);
  return findFault(err, 'ManagedObjectNotFound', 'MethodNotFound', 'NotImplemented', 'NotSupported') !== undefined;
}
