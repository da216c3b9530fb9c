// API paths of the kinds the tests read and write, for the box's admin client.
export interface KindInfo {
  /** `/api/v1` or `/apis/<group>/<version>` */
  prefix: string;
  plural: string;
  namespaced: boolean;
}

const core = (plural: string, namespaced = true): KindInfo => ({ prefix: '/api/v1', plural, namespaced });
const group = (gv: string, plural: string, namespaced = true): KindInfo => ({
  prefix: `/apis/${gv}`,
  plural,
  namespaced,
});

export const KINDS: Record<string, KindInfo> = {
  Node: core('nodes', false),
  Namespace: core('namespaces', false),
  PersistentVolume: core('persistentvolumes', false),
  Pod: core('pods'),
  Secret: core('secrets'),
  ConfigMap: core('configmaps'),
  ServiceAccount: core('serviceaccounts'),
  Service: core('services'),
  Event: core('events'),
  PersistentVolumeClaim: core('persistentvolumeclaims'),
  Deployment: group('apps/v1', 'deployments'),
  DaemonSet: group('apps/v1', 'daemonsets'),
  ReplicaSet: group('apps/v1', 'replicasets'),
  StorageClass: group('storage.k8s.io/v1', 'storageclasses', false),
  CSIDriver: group('storage.k8s.io/v1', 'csidrivers', false),
  CSINode: group('storage.k8s.io/v1', 'csinodes', false),
  VolumeAttachment: group('storage.k8s.io/v1', 'volumeattachments', false),
  ClusterRole: group('rbac.authorization.k8s.io/v1', 'clusterroles', false),
  ClusterRoleBinding: group('rbac.authorization.k8s.io/v1', 'clusterrolebindings', false),
  Role: group('rbac.authorization.k8s.io/v1', 'roles'),
  RoleBinding: group('rbac.authorization.k8s.io/v1', 'rolebindings'),
  Lease: group('coordination.k8s.io/v1', 'leases'),
};

export function kindInfo(kind: string): KindInfo {
  const k = KINDS[kind];
  if (!k) throw new Error(`box: no API path known for kind ${kind}; add it to test/box/kinds.ts`);
  return k;
}

/** Collection path of a kind (in a namespace when it is namespaced). */
export function collectionPath(kind: string, namespace?: string): string {
  const k = kindInfo(kind);
  if (k.namespaced && namespace) return `${k.prefix}/namespaces/${namespace}/${k.plural}`;
  return `${k.prefix}/${k.plural}`;
}

export function objectPath(kind: string, name: string, namespace?: string): string {
  const k = kindInfo(kind);
  if (k.namespaced && !namespace) throw new Error(`box: ${kind} ${name} needs a namespace`);
  return `${collectionPath(kind, namespace)}/${encodeURIComponent(name)}`;
}
