// Waiters, by watch (never polling): DaemonSet/Deployment rollout, PVC Bound,
// pod phase, deletion. Each lists the one object (fieldSelector on its name),
// then watches from that resourceVersion, re-listing when the watch expires.
// On timeout the error names what was still missing, the object's latest
// events and, for workloads, why their pods are not ready (ErrImagePull, …).

import type {
  KubernetesObject,
  V1DaemonSet,
  V1Deployment,
  V1PersistentVolumeClaim,
  V1Pod,
} from '@kubernetes/client-node';
import { InterruptedError, VkError } from '../core/errors.js';
import type { ObjectRef } from './resources.js';
import type { KubeRest } from './rest.js';
import { formatDuration } from './duration.js';
import { lastErrorLine } from './logs.js';

export interface NamespacedName {
  namespace: string;
  name: string;
}

export interface WaitOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Called with the latest "still missing" text whenever it changes. */
  onProgress?: (missing: string) => void;
}

/** A check says the object is done, or what is still missing; it throws for a terminal failure. */
export type Check<T> = (obj: T | undefined) => { done: true } | { done: false; missing: string };

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';

export interface EventSummary {
  type: string;
  reason: string;
  message: string;
  count: number;
  time?: string;
}

/** A waiter ran out of time: what was missing, plus the evidence. */
export class WaitTimeoutError extends VkError {
  constructor(
    readonly object: string,
    readonly missing: string,
    readonly timeoutMs: number,
    readonly events: EventSummary[],
    readonly details: string[],
  ) {
    const extra = [...details, ...(events.length ? [`latest events: ${events.map(formatEvent).join(' | ')}`] : [])];
    super(`${object}: ${missing} after ${formatDuration(timeoutMs)}${extra.length ? ` (${extra.join('; ')})` : ''}`);
    this.name = 'WaitTimeoutError';
  }
}

interface Diagnose {
  (client: KubeRest, obj: KubernetesObject | undefined): Promise<string[]>;
}

/** Waits until `check` passes for the object; returns its last state (undefined if deleted). */
export async function waitFor<T extends KubernetesObject>(
  client: KubeRest,
  ref: ObjectRef,
  check: Check<T>,
  opts: WaitOptions,
  diagnose?: Diagnose,
): Promise<T | undefined> {
  const what = await client.resources.describe(ref);
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new Error('deadline')), opts.timeoutMs);
  const signals = [deadline.signal, client.signal, ...(opts.signal ? [opts.signal] : [])];
  const signal = AbortSignal.any(signals);
  let latest: T | undefined;
  let missing = 'not checked yet';
  const evaluate = (obj: T | undefined): boolean => {
    latest = obj;
    const r = check(obj);
    if (r.done) return true;
    if (r.missing !== missing) {
      missing = r.missing;
      opts.onProgress?.(missing);
      client.log.debug(`waiting for ${what}: ${missing}`);
    }
    return false;
  };
  const listOpts = {
    namespace: ref.namespace,
    fieldSelector: `metadata.name=${ref.name}`,
  };
  try {
    for (;;) {
      const list = await client.list<T>(ref.apiVersion, ref.kind, { ...listOpts, signal });
      let rv = list.resourceVersion;
      if (evaluate(list.items.find((o) => o.metadata?.name === ref.name))) return latest;
      let expired = false;
      while (!expired) {
        const stop = new AbortController();
        let done = false;
        await client
          .watch<T>(
            ref.apiVersion,
            ref.kind,
            { ...listOpts, resourceVersion: rv },
            (e) => {
              if (e.type === 'ERROR') {
                expired = true; // 410 Gone and friends: re-list
                stop.abort();
                return;
              }
              rv = e.object.metadata?.resourceVersion ?? rv;
              if (e.type === 'BOOKMARK' || e.object.metadata?.name !== ref.name) return;
              if (evaluate(e.type === 'DELETED' ? undefined : e.object)) {
                done = true;
                stop.abort();
              }
            },
            AbortSignal.any([signal, stop.signal]),
          )
          .catch((err) => {
            if (!stop.signal.aborted) throw err;
          });
        if (done) return latest;
        if (signal.aborted) break;
      }
      if (signal.aborted) break;
    }
  } catch (err) {
    if (!signal.aborted) throw err;
  } finally {
    clearTimeout(timer);
  }
  if (!deadline.signal.aborted) throw new InterruptedError(`interrupted while waiting for ${what}`);
  const [events, details] = await Promise.all([
    latestEvents(client, ref, 5).catch(() => []),
    diagnose ? diagnose(client, latest).catch(() => []) : Promise.resolve([]),
  ]);
  throw new WaitTimeoutError(what, missing, opts.timeoutMs, events, details);
}

export const daemonSetReady: Check<V1DaemonSet> = (ds) => {
  if (!ds) return { done: false, missing: 'not found' };
  const st = ds.status;
  if ((st?.observedGeneration ?? 0) < (ds.metadata?.generation ?? 0)) {
    return { done: false, missing: 'rollout not yet observed by the controller' };
  }
  const desired = st?.desiredNumberScheduled ?? 0;
  const updated = st?.updatedNumberScheduled ?? 0;
  const available = st?.numberAvailable ?? 0;
  if (updated < desired) return { done: false, missing: `${updated} of ${desired} pods updated` };
  if (available < desired) return { done: false, missing: `${available} of ${desired} pods ready` };
  return { done: true };
};

export const deploymentReady: Check<V1Deployment> = (d) => {
  if (!d) return { done: false, missing: 'not found' };
  const st = d.status;
  if ((st?.observedGeneration ?? 0) < (d.metadata?.generation ?? 0)) {
    return { done: false, missing: 'rollout not yet observed by the controller' };
  }
  const want = d.spec?.replicas ?? 1;
  const updated = st?.updatedReplicas ?? 0;
  const available = st?.availableReplicas ?? 0;
  if (updated < want) return { done: false, missing: `${updated} of ${want} replicas updated` };
  if ((st?.replicas ?? 0) > updated) {
    return { done: false, missing: `${(st?.replicas ?? 0) - updated} old replicas pending termination` };
  }
  if (available < want) return { done: false, missing: `${available} of ${want} replicas available` };
  return { done: true };
};

export const pvcBound: Check<V1PersistentVolumeClaim> = (pvc) => {
  if (!pvc) return { done: false, missing: 'not found' };
  const phase = pvc.status?.phase ?? 'Pending';
  if (phase === 'Bound') return { done: true };
  if (phase === 'Lost')
    throw new VkError(`persistentvolumeclaim ${pvc.metadata?.namespace}/${pvc.metadata?.name} lost its volume`);
  return { done: false, missing: `still ${phase}, not Bound` };
};

export function podPhaseCheck(phases: PodPhase[]): Check<V1Pod> {
  return (pod) => {
    if (!pod) return { done: false, missing: 'not found' };
    const phase = (pod.status?.phase ?? 'Pending') as PodPhase;
    if (phases.includes(phase)) return { done: true };
    const why = podProblems(pod);
    if (phase === 'Succeeded' || phase === 'Failed') {
      throw new VkError(
        `pod ${pod.metadata?.namespace}/${pod.metadata?.name} ended ${phase}, expected ${phases.join(' or ')}` +
          (why.length ? ` (${why.join('; ')})` : ''),
      );
    }
    return {
      done: false,
      missing: `phase ${phase}, waiting for ${phases.join(' or ')}${why.length ? ` (${why.join('; ')})` : ''}`,
    };
  };
}

const deletedCheck: Check<KubernetesObject> = (obj) =>
  obj
    ? { done: false, missing: obj.metadata?.deletionTimestamp ? 'still terminating' : 'still exists' }
    : { done: true };

export const waitForDaemonSetRollout = (c: KubeRest, r: NamespacedName, o: WaitOptions) =>
  waitFor<V1DaemonSet>(c, { apiVersion: 'apps/v1', kind: 'DaemonSet', ...r }, daemonSetReady, o, workloadPods);

export const waitForDeploymentRollout = (c: KubeRest, r: NamespacedName, o: WaitOptions) =>
  waitFor<V1Deployment>(c, { apiVersion: 'apps/v1', kind: 'Deployment', ...r }, deploymentReady, o, workloadPods);

export const waitForPvcBound = (c: KubeRest, r: NamespacedName, o: WaitOptions) =>
  waitFor<V1PersistentVolumeClaim>(c, { apiVersion: 'v1', kind: 'PersistentVolumeClaim', ...r }, pvcBound, o);

export const waitForPodPhase = (c: KubeRest, r: NamespacedName, phases: PodPhase[], o: WaitOptions) =>
  waitFor<V1Pod>(c, { apiVersion: 'v1', kind: 'Pod', ...r }, podPhaseCheck(phases), o);

export const waitForDeletion = async (c: KubeRest, ref: ObjectRef, o: WaitOptions): Promise<void> => {
  await waitFor(c, ref, deletedCheck, o);
};

/** Why a pod is not ready: waiting/terminated reasons of its containers. */
export function podProblems(pod: V1Pod): string[] {
  const out: string[] = [];
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  for (const cs of statuses) {
    const w = cs.state?.waiting;
    const t = cs.state?.terminated;
    if (w?.reason && w.reason !== 'ContainerCreating' && w.reason !== 'PodInitializing') {
      out.push(`container ${cs.name}: ${w.reason}${w.message ? `: ${w.message}` : ''}`);
    } else if (t && t.exitCode !== 0) {
      out.push(`container ${cs.name}: ${t.reason ?? 'terminated'} (exit code ${t.exitCode})`);
    }
  }
  if (out.length === 0) {
    const unsched = pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
    if (unsched) out.push(`${unsched.reason ?? 'Unschedulable'}${unsched.message ? `: ${unsched.message}` : ''}`);
  }
  return out;
}

/** Unready pods a rollout timeout describes: they usually fail alike, and more would bury the error in detail. */
const PODS_DESCRIBED = 3;
/** Log lines read from a container that ended: its last error is near the end of what it printed before exiting. */
const ENDED_CONTAINER_TAIL_LINES = 20;

/** For DaemonSets/Deployments: the pods that are not ready, and why. */
const workloadPods: Diagnose = async (client, obj) => {
  const w = obj as V1DaemonSet | V1Deployment | undefined;
  const labels = w?.spec?.selector?.matchLabels;
  if (!w || !labels || Object.keys(labels).length === 0) return [];
  const selector = Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const pods = await client.list<V1Pod>('v1', 'Pod', { namespace: w.metadata?.namespace, labelSelector: selector });
  const out: string[] = [];
  for (const pod of pods.items) {
    const ready = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    if (ready) continue;
    const why = podProblems(pod);
    // A container that ran and ended: what its log last said (kubectl logs).
    for (const cs of pod.status?.containerStatuses ?? []) {
      if (!cs.lastState?.terminated && !cs.state?.terminated) continue;
      const log = await client
        .podLog(pod.metadata!.namespace!, pod.metadata!.name!, {
          container: cs.name,
          tailLines: ENDED_CONTAINER_TAIL_LINES,
        })
        .catch(() => '');
      const line = lastErrorLine(log);
      if (line) why.push(`container ${cs.name} logged "${line}"`);
    }
    out.push(`pod ${pod.metadata?.name}: ${why.length ? why.join(', ') : (pod.status?.phase ?? 'Pending')}`);
    if (out.length === PODS_DESCRIBED) break;
  }
  return out;
};

interface CoreEvent extends KubernetesObject {
  involvedObject?: { kind?: string; name?: string; namespace?: string };
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  lastTimestamp?: string;
  eventTime?: string;
  firstTimestamp?: string;
}

/** The object's latest events (core/v1), oldest first. */
export async function latestEvents(client: KubeRest, ref: ObjectRef, limit: number): Promise<EventSummary[]> {
  const ns = ref.namespace ?? 'default';
  const selector = `involvedObject.name=${ref.name},involvedObject.kind=${ref.kind}`;
  const list = await client
    .list<CoreEvent>('v1', 'Event', { namespace: ns, fieldSelector: selector })
    .catch(() => client.list<CoreEvent>('v1', 'Event', { namespace: ns }));
  const time = (e: CoreEvent) =>
    e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? String(e.metadata?.creationTimestamp ?? '');
  return list.items
    .filter((e) => e.involvedObject?.name === ref.name && e.involvedObject?.kind === ref.kind)
    .sort((a, b) => (time(a) < time(b) ? -1 : time(a) > time(b) ? 1 : 0))
    .slice(-limit)
    .map((e) => ({
      type: e.type ?? 'Normal',
      reason: e.reason ?? '',
      message: (e.message ?? '').trim(),
      count: e.count ?? 1,
      time: time(e) || undefined,
    }));
}

export function formatEvent(e: EventSummary): string {
  return `${e.type} ${e.reason}: ${e.message}${e.count > 1 ? ` (x${e.count})` : ''}`;
}
