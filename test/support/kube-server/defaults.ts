// What the API server fills in on writes: defaults of the versioned types and
// the status the create strategies reset, for the fields clients read back.
import type { ResourceType } from './registry.js';
import type { KubeObject } from './types.js';

/** Defaults the API server fills in on every write (pkg/apis/<group>/v1/defaults.go), for the fields clients read back. */
export function applyDefaults(r: ResourceType, obj: KubeObject): void {
  const spec = obj.spec as Record<string, unknown> | undefined;
  if (!spec) return;
  if (r.kind === 'DaemonSet') {
    spec.updateStrategy ??= { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } };
    spec.revisionHistoryLimit ??= 10;
  } else if (r.kind === 'Deployment') {
    spec.replicas ??= 1;
    spec.strategy ??= { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } };
    spec.revisionHistoryLimit ??= 10;
    spec.progressDeadlineSeconds ??= 600;
  } else if (r.kind === 'PersistentVolumeClaim') {
    spec.volumeMode ??= 'Filesystem';
  } else if (r.kind === 'Pod') {
    spec.restartPolicy ??= 'Always';
    spec.dnsPolicy ??= 'ClusterFirst';
    spec.schedulerName ??= 'default-scheduler';
    spec.terminationGracePeriodSeconds ??= 30;
  }
}

/** Defaults and status resets the real strategies apply on create. */
export function prepareForCreate(r: ResourceType, obj: KubeObject): void {
  switch (r.kind) {
    case 'Namespace':
      obj.spec = { finalizers: ['kubernetes'] };
      obj.status = { phase: 'Active' };
      obj.metadata.labels = { ...obj.metadata.labels, 'kubernetes.io/metadata.name': obj.metadata.name };
      break;
    case 'Pod':
    case 'PersistentVolumeClaim':
      obj.status = { phase: 'Pending' };
      break;
    case 'PersistentVolume':
      obj.status = { phase: 'Pending' };
      break;
    case 'Deployment': {
      const spec = (obj.spec ??= {}) as Record<string, unknown>;
      spec.replicas ??= 1;
      obj.status = {};
      break;
    }
    case 'DaemonSet':
      obj.status = { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 };
      break;
  }
}
