// Stands in for the scheduler and kubelet for standalone pods (restartPolicy
// Never/OnFailure, no owner): once every PVC they mount is Bound, a pod is
// scheduled, runs, and ends Succeeded or Failed as the test decides, with
// containerStatuses, events and logs.
import { randomBytes } from 'node:crypto';
import type { ApiServer } from '../api-server.js';
import { now, type StoreEvent } from '../store.js';
import type { KubeObject } from '../types.js';
import { recordEvent } from './events.js';
import { eligibleNodes, unschedulableMessage, type PodSpecLike } from './scheduling.js';

export interface PodOutcome {
  phase: 'Succeeded' | 'Failed';
  /** Default 0 for Succeeded, 1 for Failed. */
  exitCode?: number;
  /** Served by the pod's log endpoint. */
  log?: string;
}

/** Decides how a pod ends, from its spec (e.g. reads the command to fake a writer/reader). */
export type PodDecider = (pod: KubeObject) => PodOutcome | undefined;

export interface PodOptions {
  enabled?: boolean;
  /** Delay from schedulable to finished. Default 100 ms. */
  runMs?: number;
  /** First match wins: a RegExp on the pod name, or a function of the pod. Default: Succeeded. */
  outcomes?: { match: RegExp | PodDecider; outcome?: PodOutcome }[];
}

export class PodRunner {
  enabled: boolean;
  runMs: number;
  readonly outcomes: NonNullable<PodOptions['outcomes']>;
  private readonly started = new Set<string>();
  /** Pods (namespace/name/uid) no node could take; retried when nodes change. */
  private readonly unscheduled = new Set<string>();

  constructor(
    private readonly api: ApiServer,
    opts: PodOptions = {},
  ) {
    this.enabled = opts.enabled ?? true;
    this.runMs = opts.runMs ?? 100;
    this.outcomes = [...(opts.outcomes ?? [])];
  }

  /** Pods whose name matches end with this outcome (added first, so it wins). */
  whenName(match: RegExp, outcome: PodOutcome): void {
    this.outcomes.unshift({ match, outcome });
  }

  /** A function that decides per pod; undefined falls through to the next rule. */
  decideBy(decider: PodDecider): void {
    this.outcomes.unshift({ match: decider });
  }

  handle(e: StoreEvent): void {
    if (!this.enabled || e.type === 'DELETED') return;
    if (e.resource.kind === 'Pod' && e.type === 'ADDED') this.consider(e.object);
    else if (
      e.resource.kind === 'PersistentVolumeClaim' &&
      (e.object.status as { phase?: string })?.phase === 'Bound'
    ) {
      for (const p of this.api.store.list(this.api.resource('', 'v1', 'pods'), e.object.metadata.namespace))
        this.consider(p);
    } else if (e.resource.kind === 'Node' && this.unscheduled.size) {
      // A node changed (e.g. lost a taint): the scheduler retries pods it could not place.
      const retry = [...this.unscheduled];
      this.unscheduled.clear();
      for (const key of retry) this.started.delete(key);
      const pods = this.api.resource('', 'v1', 'pods');
      for (const key of retry) {
        const [namespace, name] = key.split('/');
        const pod = this.api.store.get(pods, namespace, name);
        if (pod) this.consider(pod);
      }
    }
  }

  private consider(pod: KubeObject): void {
    const spec = (pod.spec ?? {}) as PodSpecLike;
    if (pod.metadata.ownerReferences?.length || (spec.restartPolicy ?? 'Always') === 'Always') return;
    const key = `${pod.metadata.namespace}/${pod.metadata.name}/${pod.metadata.uid}`;
    if (this.started.has(key) || (pod.status as { phase?: string })?.phase !== 'Pending') return;
    const pvcs = this.api.resource('', 'v1', 'persistentvolumeclaims');
    const waiting = (spec.volumes ?? [])
      .map((v) => v.persistentVolumeClaim?.claimName)
      .filter((c): c is string => !!c)
      .filter(
        (c) =>
          (this.api.store.get(pvcs, pod.metadata.namespace, c)?.status as { phase?: string } | undefined)?.phase !==
          'Bound',
      );
    if (waiting.length) return; // a PVC Bound event brings us back
    this.started.add(key);
    this.api.later(this.runMs, () => this.run(pod.metadata.namespace!, pod.metadata.name));
  }

  private decide(pod: KubeObject): PodOutcome {
    for (const rule of this.outcomes) {
      if (rule.match instanceof RegExp) {
        if (rule.match.test(pod.metadata.name)) return rule.outcome ?? { phase: 'Succeeded' };
      } else {
        const o = rule.match(pod);
        if (o) return o;
      }
    }
    return { phase: 'Succeeded' };
  }

  private run(namespace: string, name: string): void {
    const pods = this.api.resource('', 'v1', 'pods');
    const pod = this.api.store.get(pods, namespace, name);
    if (!pod || !this.enabled) return;
    const spec = (pod.spec ?? {}) as PodSpecLike;
    const all = this.api.store.list(this.api.resource('', 'v1', 'nodes'));
    const node = spec.nodeName ?? eligibleNodes(all, spec)[0]?.metadata.name;
    if (!node) {
      this.unscheduled.add(`${namespace}/${name}/${pod.metadata.uid}`);
      recordEvent(this.api, pod, 'Warning', 'FailedScheduling', unschedulableMessage(all, spec), 'default-scheduler');
      return;
    }
    const outcome = this.decide(pod);
    const exitCode = outcome.exitCode ?? (outcome.phase === 'Succeeded' ? 0 : 1);
    if (outcome.log !== undefined) this.api.podLogs.set(`${namespace}/${name}`, outcome.log);
    const ts = now();
    recordEvent(
      this.api,
      pod,
      'Normal',
      'Scheduled',
      `Successfully assigned ${namespace}/${name} to ${node}`,
      'default-scheduler',
    );
    const containerStatuses = (spec.containers ?? []).map((c) => {
      const containerID = `containerd://${randomBytes(32).toString('hex')}`;
      recordEvent(
        this.api,
        pod,
        'Normal',
        'Pulled',
        `Container image "${c.image}" already present on machine`,
        'kubelet',
      );
      recordEvent(this.api, pod, 'Normal', 'Created', `Created container ${c.name}`, 'kubelet');
      recordEvent(this.api, pod, 'Normal', 'Started', `Started container ${c.name}`, 'kubelet');
      return {
        name: c.name,
        image: c.image ?? '',
        imageID: `${c.image}@sha256:${randomBytes(32).toString('hex')}`,
        containerID,
        ready: false,
        restartCount: 0,
        started: false,
        state: {
          terminated: {
            exitCode,
            reason: exitCode === 0 ? 'Completed' : 'Error',
            startedAt: ts,
            finishedAt: ts,
            containerID,
          },
        },
      };
    });
    const reason = outcome.phase === 'Succeeded' ? 'PodCompleted' : 'PodFailed';
    this.api.store.update(pods, {
      ...pod,
      spec: { ...(pod.spec as object), nodeName: node },
      status: {
        phase: outcome.phase,
        conditions: [
          { type: 'Initialized', status: 'True', lastTransitionTime: ts, reason },
          { type: 'Ready', status: 'False', lastTransitionTime: ts, reason },
          { type: 'ContainersReady', status: 'False', lastTransitionTime: ts, reason },
          { type: 'PodScheduled', status: 'True', lastTransitionTime: ts },
        ],
        hostIP: '10.0.0.2',
        podIP: `10.244.0.${Math.floor(Math.random() * 250) + 2}`,
        startTime: ts,
        containerStatuses,
        qosClass: 'BestEffort',
      },
    });
  }
}
