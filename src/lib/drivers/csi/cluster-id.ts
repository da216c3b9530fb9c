// The CSI cluster-id: names this Kubernetes cluster in CNS (volumes are
// tagged with it), so it must be identical on every run and at most 64
// characters (the driver refuses longer ones: ErrClusterIDCharLimit in
// vsphere-csi-driver pkg/common/config/config.go). Derived from the
// kube-system namespace UID, which lives as long as the cluster.

import { createHash } from 'node:crypto';
import { UsageError, VkError } from '../../core/errors.js';

export const maxClusterIdBytes = 64;

export function clusterIdFromNamespaceUid(uid: string): string {
  if (uid.trim() === '') {
    throw new VkError('the kube-system namespace has no UID, so vk cannot derive a cluster-id', {
      hint: 'pass --cluster-id',
    });
  }
  return 'vk-' + createHash('sha256').update(uid.trim()).digest('hex').slice(0, 32);
}

export function validateClusterId(id: string): void {
  if (id.trim() === '') throw new UsageError('--cluster-id is empty');
  // The driver compares len() of the Go string: bytes, not characters.
  const bytes = Buffer.byteLength(id, 'utf8');
  if (bytes > maxClusterIdBytes) {
    throw new UsageError(`--cluster-id is ${bytes} bytes long; the CSI driver allows at most ${maxClusterIdBytes}`);
  }
  if (/\p{Cc}/u.test(id)) throw new UsageError('--cluster-id contains a control character');
}

/**
 * Cluster ids that other clusters are likely to use too (kubernetes, k8s,
 * cluster, default, demo, test, cluster1, my-cluster…): two clusters on one
 * vCenter with the same id see and delete each other's CNS volumes.
 */
const genericClusterId =
  /^(?:kubernetes|kube|k8s|cluster|default|demo|test|testing|dev|prod|production|staging|lab|main|vsphere|csi|my-?cluster|(?:k8s|kube|kubernetes)-?cluster|cluster-?(?:k8s|kube|kubernetes))[-_]?\d*$/i;

export function isGenericClusterId(id: string): boolean {
  return genericClusterId.test(id.trim());
}
