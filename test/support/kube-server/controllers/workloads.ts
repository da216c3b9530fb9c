// Stands in for the DaemonSet/Deployment controllers, the scheduler and
// kubelet: after a delay a workload's pods run and its status says ready, or
// its pods are stuck pulling their image (ErrImagePull/ImagePullBackOff) with
// the events kubelet writes.
import { createHash, randomBytes } from 'node:crypto';
import type { ApiServer } from '../api-server.js';
import { now, type StoreEvent } from '../store.js';
import type { KubeObject } from '../types.js';
import { recordEvent } from './events.js';
import { eligibleNodes, unschedulableMessage, type PodSpecLike } from './scheduling.js';

/** The label the real controllers put on pods to tell template revisions apart. */
const REVISION_LABEL: Record<string, string> = {
  DaemonSet: 'controller-revision-hash',
  Deployment: 'pod-template-hash',
};

export type ImagePullFailure = 'ErrImagePull' | 'ImagePullBackOff';

export interface WorkloadOptions {
  enabled?: boolean;
  /** Delay between a spec change and the workload being ready. Default 100 ms. */
  readyDelayMs?: number;
  /** Fail every workload. */
  failAll?: ImagePullFailure | false;
}

interface WorkloadSpec {
  replicas?: number;
  selector?: { matchLabels?: Record<string, string> };
  template?: { metadata?: { labels?: Record<string, string> }; spec?: PodSpecLike };
}

export class WorkloadController {
  enabled: boolean;
  readyDelayMs: number;
  failAll: ImagePullFailure | false;
  /** Workloads (by name, any namespace) whose pods fail to pull their image. */
  readonly failing = new Map<string, ImagePullFailure>();
  /** Called after a workload's status was written (other controllers chain on it). */
  onReady: ((w: KubeObject) => void)[] = [];

  constructor(
    private readonly api: ApiServer,
    opts: WorkloadOptions = {},
  ) {
    this.enabled = opts.enabled ?? true;
    this.readyDelayMs = opts.readyDelayMs ?? 100;
    this.failAll = opts.failAll ?? false;
  }

  /** Makes the named workload's pods fail to pull their image (ImagePullBackOff by default). */
  fail(name: string, reason: ImagePullFailure = 'ImagePullBackOff'): void {
    this.failing.set(name, reason);
  }

  /** Lets the named workload roll out again (takes effect on its next spec change or `reconcile`). */
  heal(name: string): void {
    this.failing.delete(name);
  }

  handle(e: StoreEvent): void {
    if (!this.enabled) return;
    const kind = e.resource.kind;
    if ((kind === 'DaemonSet' || kind === 'Deployment') && e.type !== 'DELETED') {
      const status = (e.object.status ?? {}) as { observedGeneration?: number };
      if (status.observedGeneration !== e.object.metadata.generation) this.schedule(e.object);
    } else if (kind === 'Node' && (e.type !== 'MODIFIED' || schedulingChanged(e))) {
      for (const ds of this.api.store.list(this.api.resource('apps', 'v1', 'daemonsets'))) this.schedule(ds);
    } else if ((kind === 'DaemonSet' || kind === 'Deployment') && e.type === 'DELETED') {
      this.deletePods(e.object);
    }
  }

  private readonly pending = new Set<string>();

  private schedule(w: KubeObject): void {
    const { name, namespace } = w.metadata;
    const key = `${w.kind}/${namespace}/${name}`;
    if (this.pending.has(key)) return;
    this.pending.add(key);
    const r = this.api.resource('apps', 'v1', w.kind === 'DaemonSet' ? 'daemonsets' : 'deployments');
    this.api.later(this.readyDelayMs, () => {
      this.pending.delete(key);
      const current = this.api.store.get(r, namespace, name);
      if (current && this.enabled) this.reconcile(current);
    });
  }

  /** Brings the workload's pods and status in line with its spec now. */
  reconcile(w: KubeObject): void {
    const spec = (w.spec ?? {}) as WorkloadSpec;
    const podSpec = spec.template?.spec ?? {};
    const nodes = eligibleNodes(this.api.store.list(this.api.resource('', 'v1', 'nodes')), podSpec);
    const failure = this.failing.get(w.metadata.name) ?? (this.failAll || undefined);
    let desired: number;
    let placeable: number;
    if (w.kind === 'DaemonSet') {
      desired = nodes.length;
      placeable = desired;
    } else {
      desired = spec.replicas ?? 1;
      const antiAffinity = !!podSpec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.length;
      placeable = nodes.length === 0 ? 0 : antiAffinity ? Math.min(desired, nodes.length) : desired;
    }
    // Pods of the current template on the right nodes in the right state stay; the rest are replaced.
    const revision = createHash('sha256')
      .update(JSON.stringify(spec.template ?? {}))
      .digest('hex')
      .slice(0, 10);
    const podType = this.api.resource('', 'v1', 'pods');
    const keep = new Set<string>();
    const current = this.podsOf(w).filter(
      (p) =>
        p.metadata.labels?.[REVISION_LABEL[w.kind!]] === revision &&
        !!(p.spec as PodSpecLike).nodeName &&
        (p.status as { phase?: string }).phase === (failure ? 'Pending' : 'Running'),
    );
    const targets: (KubeObject | undefined)[] =
      w.kind === 'DaemonSet'
        ? nodes
        : Array.from({ length: desired }, (_, i) => (i < placeable ? nodes[i % nodes.length] : undefined));
    const fresh: { node: KubeObject | undefined }[] = [];
    for (const node of targets) {
      const existing = node
        ? current.find((p) => !keep.has(p.metadata.name) && (p.spec as PodSpecLike).nodeName === node.metadata.name)
        : undefined;
      if (existing && (w.kind === 'DaemonSet' || !failure)) keep.add(existing.metadata.name);
      else fresh.push({ node });
    }
    for (const p of this.podsOf(w))
      if (!keep.has(p.metadata.name)) this.api.store.delete(podType, p.metadata.namespace, p.metadata.name);
    for (const { node } of fresh) this.createPod(w, podSpec, node, revision, failure);
    const ready = failure ? 0 : placeable;
    const generation = w.metadata.generation;
    const status =
      w.kind === 'DaemonSet'
        ? {
            currentNumberScheduled: desired,
            desiredNumberScheduled: desired,
            numberAvailable: ready,
            numberMisscheduled: 0,
            numberReady: ready,
            observedGeneration: generation,
            updatedNumberScheduled: desired,
            ...(desired - ready > 0 ? { numberUnavailable: desired - ready } : {}),
          }
        : deploymentStatus(desired, ready, generation, failure);
    const updated = this.api.store.update(
      this.api.resource('apps', 'v1', w.kind === 'DaemonSet' ? 'daemonsets' : 'deployments'),
      {
        ...w,
        status,
      },
    );
    if (!failure && ready === desired) for (const f of this.onReady) f(updated);
  }

  private podsOf(w: KubeObject): KubeObject[] {
    return this.api.store
      .list(this.api.resource('', 'v1', 'pods'), w.metadata.namespace)
      .filter((p) => p.metadata.ownerReferences?.some((o) => o.uid === w.metadata.uid || o.name === w.metadata.name));
  }

  private deletePods(w: KubeObject): void {
    const pods = this.api.resource('', 'v1', 'pods');
    for (const p of this.podsOf(w)) this.api.store.delete(pods, p.metadata.namespace, p.metadata.name);
  }

  private createPod(
    w: KubeObject,
    spec: PodSpecLike,
    node: KubeObject | undefined,
    revision: string,
    failure?: ImagePullFailure,
  ): KubeObject {
    const labels = {
      ...(((w.spec as WorkloadSpec).template?.metadata?.labels ?? {}) as Record<string, string>),
      [REVISION_LABEL[w.kind!]]: revision,
    };
    const prefix = w.kind === 'Deployment' ? `${w.metadata.name}-${revision}-` : `${w.metadata.name}-`;
    const ts = now();
    const allNodes = this.api.store.list(this.api.resource('', 'v1', 'nodes'));
    // Unplaced replicas are those required anti-affinity keeps off the eligible (occupied) nodes.
    const occupied = new Set(eligibleNodes(allNodes, spec).map((n) => n.metadata.name));
    const unschedulable = node ? '' : unschedulableMessage(allNodes, spec, occupied);
    const containers = spec.containers ?? [];
    const containerStatuses = containers.map((c) => ({
      name: c.name,
      image: c.image ?? '',
      imageID: failure ? '' : `${c.image}@sha256:${randomBytes(32).toString('hex')}`,
      ready: !failure && !!node,
      restartCount: 0,
      started: !failure && !!node,
      state: failure
        ? {
            waiting: {
              reason: failure,
              message:
                failure === 'ImagePullBackOff'
                  ? `Back-off pulling image "${c.image}"`
                  : `rpc error: code = NotFound desc = failed to pull and unpack image "${c.image}": not found`,
            },
          }
        : { running: { startedAt: ts } },
    }));
    const phase = node && !failure ? 'Running' : 'Pending';
    const pod = this.api.store.create(this.api.resource('', 'v1', 'pods'), {
      metadata: {
        name: prefix + Math.random().toString(36).slice(2, 7),
        namespace: w.metadata.namespace,
        labels,
        ownerReferences: [
          {
            apiVersion: 'apps/v1',
            kind: w.kind === 'DaemonSet' ? 'DaemonSet' : 'ReplicaSet',
            name: w.metadata.name,
            uid: w.metadata.uid!,
            controller: true,
          },
        ],
      },
      spec: { ...structuredClone(spec), ...(node ? { nodeName: node.metadata.name } : {}) },
      status: node
        ? {
            phase,
            conditions: [
              { type: 'PodScheduled', status: 'True', lastTransitionTime: ts },
              { type: 'Ready', status: failure ? 'False' : 'True', lastTransitionTime: ts },
            ],
            hostIP: ((node.status as { addresses?: { address: string }[] }).addresses ?? [])[0]?.address,
            podIP: failure
              ? undefined
              : `10.244.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250) + 2}`,
            startTime: ts,
            containerStatuses,
          }
        : {
            phase: 'Pending',
            conditions: [
              {
                type: 'PodScheduled',
                status: 'False',
                reason: 'Unschedulable',
                message: unschedulable,
                lastTransitionTime: ts,
              },
            ],
          },
    });
    if (!node) {
      recordEvent(this.api, pod, 'Warning', 'FailedScheduling', unschedulable, 'default-scheduler');
    } else if (failure) {
      const image = containers[0]?.image ?? '';
      recordEvent(this.api, pod, 'Normal', 'Pulling', `Pulling image "${image}"`, 'kubelet');
      recordEvent(
        this.api,
        pod,
        'Warning',
        'Failed',
        `Failed to pull image "${image}": rpc error: code = NotFound desc = failed to pull and unpack image "${image}": not found`,
        'kubelet',
      );
      recordEvent(this.api, pod, 'Warning', 'Failed', `Error: ${failure}`, 'kubelet');
    }
    return pod;
  }
}

/** A node change the DaemonSet controller reacts to: its taints or labels. */
function schedulingChanged(e: StoreEvent): boolean {
  const taints = (o?: KubeObject): string =>
    JSON.stringify((o?.spec as { taints?: unknown } | undefined)?.taints ?? []);
  return (
    taints(e.old) !== taints(e.object) ||
    JSON.stringify(e.old?.metadata.labels) !== JSON.stringify(e.object.metadata.labels)
  );
}

function deploymentStatus(desired: number, ready: number, generation: number | undefined, failure?: string): object {
  const ts = now();
  const available = ready >= desired;
  return {
    observedGeneration: generation,
    replicas: desired,
    updatedReplicas: desired,
    ...(ready ? { readyReplicas: ready, availableReplicas: ready } : {}),
    ...(desired - ready > 0 ? { unavailableReplicas: desired - ready } : {}),
    conditions: [
      {
        type: 'Available',
        status: available ? 'True' : 'False',
        lastUpdateTime: ts,
        lastTransitionTime: ts,
        reason: available ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
        message: available ? 'Deployment has minimum availability.' : 'Deployment does not have minimum availability.',
      },
      {
        type: 'Progressing',
        status: 'True',
        lastUpdateTime: ts,
        lastTransitionTime: ts,
        reason: available ? 'NewReplicaSetAvailable' : 'ReplicaSetUpdated',
        message: available
          ? 'ReplicaSet has successfully progressed.'
          : failure
            ? 'ReplicaSet is progressing.'
            : 'ReplicaSet is progressing.',
      },
    ],
  };
}
