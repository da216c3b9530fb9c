// The one table of resource kinds the test API server serves. Everything else
// (routing, discovery, storage, watch) is driven from it, so adding a kind is
// one line here.

export interface ResourceType {
  group: string; // '' for the core group
  version: string;
  kind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames?: string[];
  /** Subresources served besides the object itself (status, log). */
  subresources?: string[];
  /** Bump metadata.generation when anything but metadata/status changes. */
  generation?: boolean;
}

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

const row = (
  group: string,
  version: string,
  kind: string,
  plural: string,
  namespaced: boolean,
  extra: Partial<ResourceType> = {},
): ResourceType => ({ group, version, kind, plural, singular: kind.toLowerCase(), namespaced, ...extra });

export const RESOURCES: readonly ResourceType[] = [
  row('', 'v1', 'Namespace', 'namespaces', false, { shortNames: ['ns'], subresources: ['status'] }),
  row('', 'v1', 'Node', 'nodes', false, { shortNames: ['no'], subresources: ['status'] }),
  row('', 'v1', 'Secret', 'secrets', true),
  row('', 'v1', 'ConfigMap', 'configmaps', true, { shortNames: ['cm'] }),
  row('', 'v1', 'ServiceAccount', 'serviceaccounts', true, { shortNames: ['sa'] }),
  row('', 'v1', 'Event', 'events', true, { shortNames: ['ev'] }),
  row('', 'v1', 'Pod', 'pods', true, { shortNames: ['po'], subresources: ['status', 'log'] }),
  row('', 'v1', 'PersistentVolumeClaim', 'persistentvolumeclaims', true, {
    shortNames: ['pvc'],
    subresources: ['status'],
  }),
  row('', 'v1', 'PersistentVolume', 'persistentvolumes', false, { shortNames: ['pv'], subresources: ['status'] }),
  row('', 'v1', 'Service', 'services', true, { shortNames: ['svc'], subresources: ['status'] }),
  row('apps', 'v1', 'DaemonSet', 'daemonsets', true, {
    shortNames: ['ds'],
    subresources: ['status'],
    generation: true,
  }),
  row('apps', 'v1', 'Deployment', 'deployments', true, {
    shortNames: ['deploy'],
    subresources: ['status'],
    generation: true,
  }),
  row('rbac.authorization.k8s.io', 'v1', 'Role', 'roles', true),
  row('rbac.authorization.k8s.io', 'v1', 'RoleBinding', 'rolebindings', true),
  row('rbac.authorization.k8s.io', 'v1', 'ClusterRole', 'clusterroles', false),
  row('rbac.authorization.k8s.io', 'v1', 'ClusterRoleBinding', 'clusterrolebindings', false),
  row('storage.k8s.io', 'v1', 'CSIDriver', 'csidrivers', false),
  row('storage.k8s.io', 'v1', 'CSINode', 'csinodes', false),
  row('storage.k8s.io', 'v1', 'StorageClass', 'storageclasses', false, { shortNames: ['sc'] }),
  row('events.k8s.io', 'v1', 'Event', 'events', true, { shortNames: ['ev'] }),
];

export const verbsOf = (_r: ResourceType): string[] => VERBS;

export const apiVersionOf = (r: ResourceType): string => (r.group ? `${r.group}/${r.version}` : r.version);

/** Key for the store and the route table: `group/version/plural`. */
export const resourceKey = (r: ResourceType): string => `${r.group}/${r.version}/${r.plural}`;

const byKey = new Map(RESOURCES.map((r) => [resourceKey(r), r]));
const byApiVersionKind = new Map(RESOURCES.map((r) => [`${apiVersionOf(r)}/${r.kind}`, r]));

export function lookupResource(group: string, version: string, plural: string): ResourceType | undefined {
  return byKey.get(`${group}/${version}/${plural}`);
}

export function resourceForKind(apiVersion: string, kind: string): ResourceType | undefined {
  return byApiVersionKind.get(`${apiVersion}/${kind}`);
}

/** Groups in the order discovery lists them (core first). */
export function apiGroups(): { group: string; versions: string[] }[] {
  const groups = new Map<string, Set<string>>();
  for (const r of RESOURCES) {
    if (!r.group) continue;
    if (!groups.has(r.group)) groups.set(r.group, new Set());
    groups.get(r.group)!.add(r.version);
  }
  return [...groups].map(([group, versions]) => ({ group, versions: [...versions] }));
}
