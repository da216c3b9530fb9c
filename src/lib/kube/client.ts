// The process's one kube client: the REST verbs of rest.ts for any kind, plus
// server-side apply of object lists (apply.ts) and watch-based waiters
// (wait.ts). Created by connectKube(); steps get it from ctx.kube().

import type { KubernetesObject } from '@kubernetes/client-node';
import { applyObjects, type ApplyOptions, type ApplyResult } from './apply.js';
import type { ObjectRef } from './resources.js';
import { KubeRest } from './rest.js';
import * as waiters from './wait.js';

export type { ObjectRef } from './resources.js';

export class KubeClient extends KubeRest {
  /** Server-side apply of a list of objects, in order; see apply.ts. */
  apply(objects: KubernetesObject[], opts: ApplyOptions = {}): Promise<ApplyResult[]> {
    return applyObjects(this, objects, opts);
  }

  readonly wait = {
    daemonSetRollout: (ref: waiters.NamespacedName, opts: waiters.WaitOptions) =>
      waiters.waitForDaemonSetRollout(this, ref, opts),
    deploymentRollout: (ref: waiters.NamespacedName, opts: waiters.WaitOptions) =>
      waiters.waitForDeploymentRollout(this, ref, opts),
    pvcBound: (ref: waiters.NamespacedName, opts: waiters.WaitOptions) => waiters.waitForPvcBound(this, ref, opts),
    podPhase: (ref: waiters.NamespacedName, phases: waiters.PodPhase[], opts: waiters.WaitOptions) =>
      waiters.waitForPodPhase(this, ref, phases, opts),
    deleted: (ref: ObjectRef, opts: waiters.WaitOptions) => waiters.waitForDeletion(this, ref, opts),
    condition: <T extends KubernetesObject>(ref: ObjectRef, check: waiters.Check<T>, opts: waiters.WaitOptions) =>
      waiters.waitFor<T>(this, ref, check, opts),
  };

  /** The object's latest events, newest last (at most `limit`). */
  events(ref: ObjectRef, limit = 5): Promise<waiters.EventSummary[]> {
    return waiters.latestEvents(this, ref, limit);
  }
}

export { isNotFound } from './errors.js';
