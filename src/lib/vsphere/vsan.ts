// vSAN cluster configuration through vCenter's vSAN management API: served at
// /vsanHealth (the CNS endpoint) in the urn:vsan namespace on the same
// session, as govmomi's vsan client and vcsim do. vk reads whether vSAN and
// vSAN File Services (which back ReadWriteMany file volumes) are enabled.

import { VkError } from '../core/errors.js';
import { CNS_PATH } from './cns.js';
import type { VsphereSession } from './connect.js';
import { findFault, HttpError } from './soap/faults.js';
import { retrieveFromContainer } from './property-collector.js';
import { refKey, sameRef, type MoRef } from './types.js';

const VSAN_NAMESPACE = 'urn:vsan';
const CLUSTER_CONFIG_SYSTEM = { type: 'VsanVcClusterConfigSystem', value: 'vsan-cluster-config-system' };

/** vCenter does not serve the vSAN management API (no vSAN, its health service down, or an older vCenter). */
export class VsanUnavailableError extends VkError {
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'VsanUnavailableError';
  }
}

/** What vk reads of a cluster's vSAN configuration. */
export interface VsanClusterConfig {
  /** vSAN enabled on the cluster; undefined when vCenter does not say. */
  vsan?: boolean;
  /** vSAN Express Storage Architecture; undefined when vCenter does not say. */
  esa?: boolean;
  /** vSAN File Services enabled (fileServiceConfig.enabled; false when there is no file service config). */
  fileServices: boolean;
}

interface WireConfig {
  enabled?: boolean;
  vsanEsaEnabled?: boolean;
  fileServiceConfig?: { enabled?: boolean };
}

/** VsanClusterGetConfig for one cluster; VsanUnavailableError when the API is not there. */
export async function readVsanClusterConfig(session: VsphereSession, cluster: MoRef): Promise<VsanClusterConfig> {
  const vsan = session.client.service({ path: CNS_PATH, namespace: VSAN_NAMESPACE });
  let wire: WireConfig | undefined;
  try {
    wire = await vsan.invoke<WireConfig | undefined>(
      'VsanClusterGetConfig',
      CLUSTER_CONFIG_SYSTEM,
      { cluster },
      'VsanConfigInfoEx',
    );
  } catch (err) {
    if (isUnavailable(err)) {
      throw new VsanUnavailableError(
        `vCenter ${session.client.hostPort} does not serve the vSAN API at ${CNS_PATH} (${(err as Error).message})`,
        err,
      );
    }
    throw err;
  }
  return { vsan: wire?.enabled, esa: wire?.vsanEsaEnabled, fileServices: wire?.fileServiceConfig?.enabled === true };
}

/**
 * No vSAN endpoint (HTTP 404/501/503), or no cluster config system or method
 * behind it. A ManagedObjectNotFound for the cluster itself is not this.
 */
function isUnavailable(err: unknown): boolean {
  if (err instanceof HttpError) return [404, 501, 503].includes(err.status);
  const notFound = findFault(err, 'ManagedObjectNotFound');
  if (notFound) {
    const obj = notFound.obj as MoRef | undefined;
    return obj === undefined || sameRef(obj, CLUSTER_CONFIG_SYSTEM);
  }
  return (
    findFault(err, 'MethodNotFound', 'NotImplemented', 'NotSupported', 'InvalidRequest', 'InvalidType') !== undefined
  );
}

/** A compute cluster and its hosts (refKeys). */
export interface ClusterHosts {
  ref: MoRef;
  name: string;
  hosts: string[];
}

/** Every ClusterComputeResource of the datacenter (or all of them) with its hosts: one PropertyCollector call. */
export async function listClusters(session: VsphereSession): Promise<ClusterHosts[]> {
  const container = session.options.datacenter ? (await session.datacenter()).hostFolder : session.client.sc.rootFolder;
  const clusters = await retrieveFromContainer<{ name: string; host: MoRef[] }>(session.client, {
    container,
    type: 'ClusterComputeResource',
    paths: ['name', 'host'],
  });
  return clusters.map((c) => ({
    ref: c.ref,
    name: c.props.name ?? c.ref.value,
    hosts: (c.props.host ?? []).map(refKey),
  }));
}
