// Step: put the cloud provider's "uninitialized" taint on nodes (or take it off)
// so no workload lands on a node before the CPI has initialized it. plan()
// reads the nodes in one LIST; apply() writes only the nodes that change,
// each with a JSON patch conditional on the taints it read (a `test` op),
// re-reading and retrying a node when its taints changed in between.

import type { V1Node, V1Taint } from '@kubernetes/client-node';
import { UsageError, VkError } from '../core/errors.js';
import type { KubeClient } from '../kube/client.js';
import { isConflict, KubeApiError } from '../kube/errors.js';
import { mapLimit } from '../core/concurrency.js';
import type { Step } from '../core/step.js';

export const UNINITIALIZED_TAINT: Readonly<V1Taint> = Object.freeze({
  key: 'node.cloudprovider.kubernetes.io/uninitialized',
  value: 'true',
  effect: 'NoSchedule',
});

export type TaintOperation = 'add' | 'remove';

export interface TaintNodesInput {
  /** Node names; empty means every node (or every node the selector matches). */
  names: string[];
  selector?: string;
  operation: TaintOperation;
  taint?: V1Taint;
}

export type NodeAction = 'taint' | 'untaint' | 'none';

export interface NodeTaintPlan {
  name: string;
  resourceVersion: string;
  action: NodeAction;
  /** Taints now, and after the change. */
  taints: V1Taint[];
  desired: V1Taint[];
}

export interface TaintNodesPlan {
  taint: string;
  operation: TaintOperation;
  nodes: NodeTaintPlan[];
}

export type NodeResultAction = 'tainted' | 'untainted' | 'already tainted' | 'not tainted' | 'failed';

export interface NodeTaintResult {
  name: string;
  action: NodeResultAction;
  /** The node's taints afterwards (or, dry-run, as they would be). */
  taints: string[];
  error?: string;
}

export interface TaintNodesResult {
  taint: string;
  operation: TaintOperation;
  dryRun: boolean;
  nodes: NodeTaintResult[];
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Rejects bad input before any request: invalid names, names together with a selector. */
export function validateTaintInput(input: TaintNodesInput): void {
  const bad = input.names.filter((n) => n.length > 253 || !DNS_SUBDOMAIN.test(n));
  if (bad.length) {
    throw new UsageError(`invalid node name${bad.length > 1 ? 's' : ''} ${bad.map((n) => `"${n}"`).join(', ')}`, {
      hint: 'node names are lower-case DNS names such as worker-1',
    });
  }
  if (input.names.length && input.selector) {
    throw new UsageError('node names and --selector cannot be combined', { hint: 'use one or the other' });
  }
}

export const formatTaint = (t: V1Taint) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`;

const sameTaint = (a: V1Taint, b: V1Taint) => a.key === b.key && a.effect === b.effect;

/** The node's taints after the operation; every other taint kept in place. */
export function desiredTaints(current: V1Taint[], taint: V1Taint, op: TaintOperation): V1Taint[] {
  if (op === 'remove') return current.filter((t) => !sameTaint(t, taint));
  const i = current.findIndex((t) => sameTaint(t, taint));
  if (i < 0) return [...current, { key: taint.key, value: taint.value, effect: taint.effect }];
  if (current[i]!.value === taint.value) return current;
  return current.map((t, j) => (j === i ? { ...t, value: taint.value } : t));
}

export function planNode(node: V1Node, taint: V1Taint, op: TaintOperation): NodeTaintPlan {
  const taints = node.spec?.taints ?? [];
  const desired = desiredTaints(taints, taint, op);
  return {
    name: node.metadata!.name!,
    resourceVersion: node.metadata?.resourceVersion ?? '',
    action:
      desired === taints || (op === 'remove' && desired.length === taints.length)
        ? 'none'
        : op === 'add'
          ? 'taint'
          : 'untaint',
    taints,
    desired,
  };
}

/** The nodes named (all must exist), or matched by the selector, or all: one LIST. */
export async function selectNodes(client: KubeClient, names: string[], selector?: string): Promise<V1Node[]> {
  const list = await client.list<V1Node>('v1', 'Node', { labelSelector: selector });
  if (names.length) {
    const byName = new Map(list.items.map((n) => [n.metadata!.name!, n]));
    const wanted = [...new Set(names)];
    const missing = wanted.filter((n) => !byName.has(n));
    if (missing.length) {
      throw new VkError(`nodes ${missing.map((n) => `"${n}"`).join(', ')} not found`, {
        hint: "'vk taint-nodes --list' shows the cluster's nodes; nothing was changed",
      });
    }
    return wanted.map((n) => byName.get(n)!);
  }
  if (list.items.length === 0) {
    throw new VkError(selector ? `no nodes match the selector "${selector}"` : 'the cluster has no nodes', {
      hint: selector ? 'check --selector' : undefined,
    });
  }
  return list.items.sort((a, b) => a.metadata!.name!.localeCompare(b.metadata!.name!));
}

/** Reads the nodes and decides per node; nothing is written. */
export async function planTaintNodes(client: KubeClient, input: TaintNodesInput): Promise<TaintNodesPlan> {
  validateTaintInput(input);
  const taint = input.taint ?? UNINITIALIZED_TAINT;
  const nodes = await selectNodes(client, input.names, input.selector);
  return {
    taint: formatTaint(taint),
    operation: input.operation,
    nodes: nodes.map((n) => planNode(n, taint, input.operation)),
  };
}

export interface NodeTaintsRow {
  name: string;
  providerID: string | null;
  taints: V1Taint[];
}

/** --list: each node's providerID and taints (what the seed did with kubectl + jq). */
export async function listNodeTaints(client: KubeClient, names: string[], selector?: string): Promise<NodeTaintsRow[]> {
  validateTaintInput({ names, selector, operation: 'add' });
  const nodes = await selectNodes(client, names, selector);
  return nodes.map((n) => ({
    name: n.metadata!.name!,
    providerID: n.spec?.providerID ?? null,
    taints: n.spec?.taints ?? [],
  }));
}

export interface ApplyTaintOptions {
  concurrency: number;
  dryRun: boolean;
  taint?: V1Taint;
  /** Attempts per node when its taints keep changing under us. */
  maxAttempts?: number;
}

/** Writes the planned changes, `concurrency` nodes at a time. One node failing does not stop the others. */
export async function applyTaintNodes(
  client: KubeClient,
  plan: TaintNodesPlan,
  opts: ApplyTaintOptions,
): Promise<TaintNodesResult> {
  const taint = opts.taint ?? UNINITIALIZED_TAINT;
  const results = await mapLimit(
    plan.nodes,
    opts.concurrency,
    async (node) => {
      if (opts.dryRun || node.action === 'none') return resultOf(node, plan.operation);
      try {
        return await writeNode(client, node, taint, plan.operation, opts.maxAttempts ?? 5);
      } catch (err) {
        if (client.signal.aborted) throw err;
        return {
          name: node.name,
          action: 'failed' as const,
          taints: node.taints.map(formatTaint),
          error: (err as Error).message,
        };
      }
    },
    client.signal,
  );
  return { taint: plan.taint, operation: plan.operation, dryRun: opts.dryRun === true, nodes: results };
}

async function writeNode(
  client: KubeClient,
  planned: NodeTaintPlan,
  taint: V1Taint,
  op: TaintOperation,
  maxAttempts: number,
): Promise<NodeTaintResult> {
  let node = planned;
  for (let attempt = 1; ; attempt++) {
    try {
      // Conditional on the taints, not the resourceVersion: kubelet's status
      // heartbeats move every node's resourceVersion, so on a large cluster a
      // resourceVersion precondition keeps losing to them (about half of 1000
      // nodes had to be re-read and re-written). Only a change of the taints
      // themselves must make vk re-read.
      await client.patch(
        { apiVersion: 'v1', kind: 'Node', name: node.name },
        [
          // The API server stores no empty list: absent taints test as null.
          { op: 'test', path: '/spec/taints', value: node.taints.length ? node.taints : null },
          node.desired.length
            ? { op: 'add', path: '/spec/taints', value: node.desired }
            : { op: 'remove', path: '/spec/taints' },
        ],
        'json',
      );
      return resultOf(node, op);
    } catch (err) {
      if (!(isConflict(err) || taintsChanged(err)) || attempt >= maxAttempts) throw err;
      client.log.debug(`node ${node.name} changed while being written (attempt ${attempt}); re-reading`);
      const fresh = await client.get<V1Node>({ apiVersion: 'v1', kind: 'Node', name: node.name });
      node = planNode(fresh, taint, op);
      if (node.action === 'none') return resultOf(node, op);
    }
  }
}

/**
 * The API server's answer when a JSON patch does not apply (our `test` of the
 * taints failed, or there were none left to remove): 422 Invalid with its
 * generic message and no causes. A patched node failing validation names its
 * fields instead ("Node "w-1" is invalid: …").
 */
const taintsChanged = (err: unknown) =>
  err instanceof KubeApiError &&
  err.status === 422 &&
  err.message.startsWith('the server rejected our request due to an error in our request');

function resultOf(node: NodeTaintPlan, op: TaintOperation): NodeTaintResult {
  const action: NodeResultAction =
    node.action === 'taint'
      ? 'tainted'
      : node.action === 'untaint'
        ? 'untainted'
        : op === 'add'
          ? 'already tainted'
          : 'not tainted';
  return { name: node.name, action, taints: node.desired.map(formatTaint) };
}

/** "5 nodes: 3 tainted, 2 already tainted" (dry run: "would be tainted"). */
export function summarizeTaintResult(r: TaintNodesResult): string {
  const counts = new Map<string, number>();
  for (const n of r.nodes) counts.set(n.action, (counts.get(n.action) ?? 0) + 1);
  const order: NodeResultAction[] = ['tainted', 'untainted', 'already tainted', 'not tainted', 'failed'];
  const parts = order
    .filter((a) => counts.has(a))
    .map((a) => `${counts.get(a)} ${r.dryRun && (a === 'tainted' || a === 'untainted') ? `would be ${a}` : a}`);
  const total = r.nodes.length;
  return `${total} node${total === 1 ? '' : 's'}: ${parts.join(', ')}${r.dryRun ? ' (dry run, nothing changed)' : ''}`;
}

/** Nodes written in parallel by default: a node is one small PATCH, the API server's limits are far above. */
export const TAINT_CONCURRENCY = 16;

/** The nodes the CPI has not initialized yet: those without a spec.providerID. */
export const uninitializedNodes = (nodes: readonly V1Node[]): string[] =>
  nodes.filter((n) => !n.spec?.providerID).map((n) => n.metadata!.name!);

export interface TaintStepInput extends TaintNodesInput {
  concurrency: number;
  /** Only the nodes without a providerID (vk up): none of them is not an error. */
  uninitialized?: boolean;
}

export interface TaintStepPlan extends TaintNodesPlan {
  concurrency: number;
  /** With `uninitialized`: how many nodes the cluster has. */
  of?: number;
}

export type TaintStepResult = TaintNodesResult & { of?: number };

export const taintNodesStep: Step<TaintStepInput, TaintStepPlan, TaintStepResult> = {
  id: 'taint-nodes',
  title: 'Taint uninitialized nodes',
  validate: validateTaintInput,
  async plan(ctx, input, run) {
    validateTaintInput(input);
    const kube = await ctx.kube();
    if (!input.uninitialized) return { ...(await planTaintNodes(kube, input)), concurrency: input.concurrency };
    // The nodes as read: planned from this one LIST, not read again by name.
    const nodes = (await kube.list<V1Node>('v1', 'Node', { labelSelector: input.selector })).items;
    const taint = input.taint ?? UNINITIALIZED_TAINT;
    const uninitialized = nodes.filter((n) => !n.spec?.providerID);
    if (uninitialized.length) run.update(`tainting ${uninitialized.length} nodes`);
    return {
      taint: formatTaint(taint),
      operation: input.operation,
      nodes: uninitialized.map((n) => planNode(n, taint, input.operation)),
      concurrency: input.concurrency,
      of: nodes.length,
    };
  },
  describe: ({ taint, operation, nodes }) => ({
    taint,
    operation,
    nodes: nodes.map(({ name, action }) => ({ name, action })),
  }),
  async apply(ctx, plan, run) {
    const result = await applyTaintNodes(await ctx.kube(), plan, {
      concurrency: plan.concurrency,
      dryRun: run.dryRun !== 'none',
    });
    return plan.of === undefined ? result : { ...result, of: plan.of };
  },
  summary: (r) =>
    r.of !== undefined && r.nodes.length === 0
      ? `all ${r.of} nodes have a providerID; nothing to taint`
      : summarizeTaintResult(r),
  failure(r) {
    const failed = r.nodes.filter((n) => n.action === 'failed');
    if (!failed.length) return undefined;
    return new VkError(
      `${failed.length} of ${r.nodes.length} nodes failed: node ${failed[0]!.name}: ${failed[0]!.error}`,
    );
  },
};
