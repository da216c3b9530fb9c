// Events as controllers write them (core/v1 Event with involvedObject), so
// waiters can show an object's latest events.
import { randomBytes } from 'node:crypto';
import type { ApiServer } from '../api-server.js';
import { now } from '../store.js';
import type { KubeObject } from '../types.js';

export function recordEvent(
  api: ApiServer,
  involved: KubeObject,
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
  component: string,
): KubeObject {
  const events = api.resource('', 'v1', 'events');
  const namespace = involved.metadata.namespace ?? 'default';
  const ts = now();
  return api.store.create(events, {
    metadata: { name: `${involved.metadata.name}.${randomBytes(8).toString('hex')}`, namespace },
    involvedObject: {
      kind: involved.kind,
      namespace: involved.metadata.namespace,
      name: involved.metadata.name,
      uid: involved.metadata.uid,
      apiVersion: involved.apiVersion,
      resourceVersion: involved.metadata.resourceVersion,
    },
    reason,
    message,
    source: { component },
    firstTimestamp: ts,
    lastTimestamp: ts,
    count: 1,
    type,
    eventTime: null,
    reportingComponent: component,
    reportingInstance: '',
  });
}
