// apiVersion + kind → REST path. Kinds vk works with are known up front (no
// discovery round trip); anything else is looked up once through discovery.

import type { KubernetesObject } from '@kubernetes/client-node';
import { UsageError } from '../core/errors.js';
import type { Transport } from './transport.js';

export interface ResourceInfo {
  /** Plural resource name as used in URLs ("daemonsets"). */
  plural: string;
  namespaced: boolean;
}

/** Identifies one object (namespace ignored for cluster-scoped kinds). */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

const known: Record<string, Record<string, ResourceInfo>> = {
  v1: {
    Namespace: { plural: 'namespaces', namespaced: false },
    Node: { plural: 'nodes', namespaced: false },
    PersistentVolume: { plural: 'persistentvolumes', namespaced: false },
    Secret: { plural: 'secrets', namespaced: true },
    ConfigMap: { plural: 'configmaps', namespaced: true },
    ServiceAccount: { plural: 'serviceaccounts', namespaced: true },
    Service: { plural: 'services', namespaced: true },
    Pod: { plural: 'pods', namespaced: true },
    PersistentVolumeClaim: { plural: 'persistentvolumeclaims', namespaced: true },
    Event: { plural: 'events', namespaced: true },
  },
  'apps/v1': {
    DaemonSet: { plural: 'daemonsets', namespaced: true },
    Deployment: { plural: 'deployments', namespaced: true },
    StatefulSet: { plural: 'statefulsets', namespaced: true },
    ReplicaSet: { plural: 'replicasets', namespaced: true },
  },
  'rbac.authorization.k8s.io/v1': {
    Role: { plural: 'roles', namespaced: true },
    RoleBinding: { plural: 'rolebindings', namespaced: true },
    ClusterRole: { plural: 'clusterroles', namespaced: false },
    ClusterRoleBinding: { plural: 'clusterrolebindings', namespaced: false },
  },
  'storage.k8s.io/v1': {
    StorageClass: { plural: 'storageclasses', namespaced: false },
    CSIDriver: { plural: 'csidrivers', namespaced: false },
    CSINode: { plural: 'csinodes', namespaced: false },
    VolumeAttachment: { plural: 'volumeattachments', namespaced: false },
  },
  'apiextensions.k8s.io/v1': {
    CustomResourceDefinition: { plural: 'customresourcedefinitions', namespaced: false },
  },
  // Known before their CRDs exist: a list then answers 404 instead of failing discovery.
  'snapshot.storage.k8s.io/v1': {
    VolumeSnapshotClass: { plural: 'volumesnapshotclasses', namespaced: false },
    VolumeSnapshotContent: { plural: 'volumesnapshotcontents', namespaced: false },
    VolumeSnapshot: { plural: 'volumesnapshots', namespaced: true },
  },
};

interface APIResourceList {
  resources: Array<{ name: string; kind: string; namespaced: boolean }>;
}

export class ResourceMapper {
  readonly #discovered = new Map<string, Promise<APIResourceList>>();

  constructor(private readonly transport: Transport) {}

  async info(apiVersion: string, kind: string): Promise<ResourceInfo> {
    const hit = known[apiVersion]?.[kind];
    if (hit) return hit;
    let list = this.#discovered.get(apiVersion);
    if (!list) {
      list = this.transport.request<APIResourceList>('GET', groupVersionPath(apiVersion));
      this.#discovered.set(apiVersion, list);
      list.catch(() => this.#discovered.delete(apiVersion));
    }
    let resources: APIResourceList;
    try {
      resources = await list;
    } catch (err) {
      if ((err as { status?: number }).status === 404) throw unknownKind(apiVersion, kind);
      throw err;
    }
    const r = resources.resources.find((x) => x.kind === kind && !x.name.includes('/'));
    if (!r) throw unknownKind(apiVersion, kind);
    return { plural: r.name, namespaced: r.namespaced };
  }

  /** Collection path: /api/v1/namespaces/ns/pods, or all namespaces when ns is undefined. */
  async collectionPath(apiVersion: string, kind: string, namespace?: string): Promise<string> {
    const r = await this.info(apiVersion, kind);
    const ns = r.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
    return `${groupVersionPath(apiVersion)}${ns}/${r.plural}`;
  }

  async objectPath(ref: ObjectRef): Promise<string> {
    const r = await this.info(ref.apiVersion, ref.kind);
    if (r.namespaced && !ref.namespace) {
      throw new UsageError(`${ref.kind} "${ref.name}" needs a namespace`, { hint: 'set metadata.namespace' });
    }
    const ns = r.namespaced ? `/namespaces/${encodeURIComponent(ref.namespace!)}` : '';
    return `${groupVersionPath(ref.apiVersion)}${ns}/${r.plural}/${encodeURIComponent(ref.name)}`;
  }

  /** "daemonset kube-system/x" / "node w-1": how messages name an object. */
  async describe(ref: ObjectRef): Promise<string> {
    const r = await this.info(ref.apiVersion, ref.kind).catch(() => ({ namespaced: Boolean(ref.namespace) }));
    return r.namespaced && ref.namespace
      ? `${ref.kind.toLowerCase()} ${ref.namespace}/${ref.name}`
      : `${ref.kind.toLowerCase()} ${ref.name}`;
  }
}

export function groupVersionPath(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

function unknownKind(apiVersion: string, kind: string): UsageError {
  return new UsageError(`the server does not serve kind "${kind}" in ${apiVersion}`, {
    hint: 'check apiVersion/kind, or install the CRD that defines it',
  });
}

/** The reference of an object: its apiVersion, kind, name and namespace. */
export function refOf(obj: KubernetesObject): ObjectRef {
  if (!obj.apiVersion || !obj.kind || !obj.metadata?.name) {
    throw new TypeError('a Kubernetes object needs apiVersion, kind and metadata.name');
  }
  return { apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata.name, namespace: obj.metadata.namespace };
}
