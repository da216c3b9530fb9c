// Server-side apply of object lists (fieldManager "vk"), in the order given,
// reporting per object whether it was created, configured or unchanged — what
// `kubectl apply --server-side` prints. Unchanged is detected by the object's
// resourceVersion (or, under dry-run, by its content) before and after.

import type { KubernetesObject } from '@kubernetes/client-node';
import type { KubeRest } from './rest.js';
import { refOf } from './resources.js';

export interface ApplyOptions {
  /** --force-conflicts: take over fields owned by another manager. */
  force?: boolean;
  /** --dry-run=server: the API server validates, nothing is stored. */
  dryRun?: boolean;
  fieldManager?: string;
  signal?: AbortSignal;
  /** Called after each object, e.g. to drive a progress list. */
  onApplied?: (r: ApplyResult) => void;
}

export type ApplyAction = 'created' | 'configured' | 'unchanged';

export interface ApplyResult {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  action: ApplyAction;
  /** The object as the server holds (or, dry-run, would hold) it. */
  object: KubernetesObject;
}

export async function applyObjects(
  client: KubeRest,
  objects: KubernetesObject[],
  opts: ApplyOptions = {},
): Promise<ApplyResult[]> {
  const results: ApplyResult[] = [];
  for (const obj of objects) {
    const ref = refOf(obj);
    const before = await client.find(ref, opts.signal);
    const after = await client.serverSideApply(obj, {
      dryRun: opts.dryRun,
      force: opts.force,
      fieldManager: opts.fieldManager,
      signal: opts.signal,
    });
    const result: ApplyResult = { ...ref, action: applyAction(before, after, Boolean(opts.dryRun)), object: after };
    if (!result.namespace) delete result.namespace;
    results.push(result);
    opts.onApplied?.(result);
  }
  return results;
}

export function applyAction(
  before: KubernetesObject | undefined,
  after: KubernetesObject,
  dryRun: boolean,
): ApplyAction {
  if (!before) return 'created';
  const rv = (o: KubernetesObject) => o.metadata?.resourceVersion;
  if (!dryRun && rv(before) === rv(after)) return 'unchanged';
  // A dry-run never bumps the resourceVersion, and a real apiserver bumps it
  // when only field ownership moved (the first apply over fields an admission
  // plugin set, such as a Namespace's kubernetes.io/metadata.name label):
  // what counts is whether the stored object differs.
  return JSON.stringify(comparable(before)) === JSON.stringify(comparable(after)) ? 'unchanged' : 'configured';
}

/** The object without the bookkeeping the server rewrites on every write. */
function comparable(o: KubernetesObject): unknown {
  const { metadata, ...rest } = o as KubernetesObject & Record<string, unknown>;
  const { managedFields: _m, resourceVersion: _r, generation: _g, ...meta } = metadata ?? {};
  return sortKeys({ ...rest, metadata: meta, status: undefined });
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>)
        .filter(([, x]) => x !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, x]) => [k, sortKeys(x)]),
    );
  }
  return v;
}
