// The shape of a Kubernetes object as vk reads it from a release manifest or
// from the cluster, and the walk over the pod specs inside workload objects.
// Only the fields vk touches are typed; everything else rides along untouched.

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [field: string]: unknown;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

export interface Container {
  name: string;
  image?: string;
  [field: string]: unknown;
}

export interface PodSpec {
  containers?: Container[];
  initContainers?: Container[];
  ephemeralContainers?: Container[];
  [field: string]: unknown;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function child(value: unknown, key: string): unknown {
  return isRecord(value) ? value[key] : undefined;
}

/**
 * The pod spec a workload object runs, or undefined for other kinds:
 * Pod → spec; Deployment, DaemonSet, StatefulSet, ReplicaSet, Job →
 * spec.template.spec; CronJob → spec.jobTemplate.spec.template.spec.
 * Returns the object's own spec (not a copy), so callers can edit a clone.
 */
export function podSpecOf(obj: KubeObject): PodSpec | undefined {
  let spec: unknown;
  switch (obj.kind) {
    case 'Pod':
      spec = obj.spec;
      break;
    case 'Deployment':
    case 'DaemonSet':
    case 'StatefulSet':
    case 'ReplicaSet':
    case 'Job':
      spec = child(child(obj.spec, 'template'), 'spec');
      break;
    case 'CronJob':
      spec = child(child(child(child(obj.spec, 'jobTemplate'), 'spec'), 'template'), 'spec');
      break;
    default:
      return undefined;
  }
  return isRecord(spec) ? (spec as PodSpec) : undefined;
}

/** Every container of a pod spec: regular, init and ephemeral. */
export function containersOf(spec: PodSpec): Container[] {
  const lists = [spec.containers, spec.initContainers, spec.ephemeralContainers];
  return lists.flatMap((list) => (Array.isArray(list) ? list.filter(isRecord) : [])) as Container[];
}

export function findObject(objects: readonly KubeObject[], kind: string, name: string): KubeObject | undefined {
  return objects.find((o) => o.kind === kind && o.metadata.name === name);
}
