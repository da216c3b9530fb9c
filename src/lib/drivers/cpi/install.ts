// Step: install the vSphere CPI (cloud-controller-manager). plan() reads the
// cluster version, the manifest and the nodes and builds the config objects;
// apply() server-side applies config + manifest, waits for the DaemonSet
// (rolled out again when vsphere.conf changed), taints the nodes the CPI has
// not initialized yet (or, with zones, not labelled) and then waits for every
// node to get a vsphere:// providerID and lose the uninitialized taint. For nodes
// that do not, the CCM's own log lines decide the likely cause.

import { setTimeout as sleep } from 'node:timers/promises';
import { DRIVER_LOG_TAIL_LINES, LOGIN_FAILURE, logExcerpt } from '../../kube/logs.js';
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import type { Progress } from '../../cli/progress.js';
import type { Context } from '../../core/context.js';
import { VkError } from '../../core/errors.js';
import type { Step } from '../../core/step.js';
import type { KubeClient } from '../../kube/client.js';
import { redactedObjects, revealObjects } from '../config-objects.js';
import type { KubeObject } from '../manifests/objects.js';
import { findObject } from '../manifests/objects.js';
import { stampConfigHash, stampManagedBy } from '../manifests/transforms.js';
import { generateDeps, planCpi, type CpiOptions, type GeneratePlan } from '../generate.js';
import { CA_BUNDLE_KEY } from '../ca-bundle.js';
import { cpiConfigMap } from './config.js';
import { configMountDir } from '../manifests/config-mount.js';
import {
  appliedObject,
  clientDryRun,
  describeInstallPlan,
  installStepSummary,
  prepareManifest,
  timedRollout,
  validateInstallOptions,
  waitForAll,
  type InstallOptions,
  type InstallResult,
  type PreparedManifest,
} from '../install-common.js';
import { applyTaintNodes, planTaintNodes, TAINT_CONCURRENCY, UNINITIALIZED_TAINT } from '../../nodes/taint-nodes.js';
import { applyPrune, planPrune, type UninstallObject } from '../uninstall.js';
import { CPI_DAEMONSET, REGION_LABEL, ZONE_LABEL } from '../names.js';

export interface InstallCpiPlan {
  options: InstallCpiInput;
  manifest: PreparedManifest;
  config: GeneratePlan;
  datacenters: string[];
  /** Nodes without a providerID: tainted so the CCM initializes them. */
  taintNodes: string[];
  /** vk's CPI objects of an earlier release that this one no longer carries: removed once it is verified. */
  prune: UninstallObject[];
}

export interface NodeVerification {
  name: string;
  providerID: string | null;
  initialized: boolean;
  /** With zones configured: the labels the CPI set. */
  region?: string;
  zone?: string;
  /** For nodes that were not initialized: the likely cause. */
  cause?: string;
}

export interface CpiVerification {
  nodes: NodeVerification[];
}

export type InstallCpiResult = InstallResult<CpiVerification>;

export interface InstallCpiInput extends InstallOptions {
  generate: Omit<CpiOptions, 'log'>;
  noTaint: boolean;
}

/** Reads everything and builds the objects; writes nothing. */
export async function planInstallCpi(ctx: Context, input: InstallCpiInput): Promise<InstallCpiPlan> {
  validateInstallOptions(input);
  const kube = await ctx.kube();
  if (zonesConfigured(input)) {
    const { assertCategoriesExist } = await import('../../topology/topology.js');
    await assertCategoriesExist(
      await ctx.vsphere(),
      [input.generate.region!, input.generate.zone!],
      '--region/--zone',
      (m) => ctx.log.warn(m),
    );
  }
  const manifest = await prepareManifest(ctx, kube, 'cpi', input);
  // A --ca-file bundle goes into the ConfigMap; the config names it where the DaemonSet mounts that ConfigMap.
  const configMount = input.generate.settings.caFile
    ? configMountDir(manifest.objects, {
        kind: 'DaemonSet',
        name: CPI_DAEMONSET.name,
        source: { kind: 'ConfigMap', name: cpiConfigMap.name },
        key: CA_BUNDLE_KEY,
      })
    : undefined;
  const config = await planCpi(
    { ...input.generate, verify: false, checkDatacenters: true, log: ctx.log, configMountDir: configMount },
    generateDeps(ctx),
  );
  const nodes = await kube.list<V1Node>('v1', 'Node');
  // The CPI sets the zone labels only when it initializes a node: nodes initialized before zones were configured are tainted again.
  const zoned = zonesConfigured(input);
  const taintNodes = input.noTaint
    ? []
    : nodes.items.filter((n) => !n.spec?.providerID || (zoned && !hasZoneLabels(n))).map((n) => n.metadata!.name!);
  const cm = config.objects.find((o) => o.kind === 'ConfigMap');
  const datacenters = cm ? await datacentersOf(cm.data['vsphere.conf'] ?? '') : [];
  const plan = { options: input, manifest, config, datacenters, taintNodes, prune: [] };
  return { ...plan, prune: await planPrune(kube, 'cpi', cpiObjects(plan, true)) };
}

/** The datacenters the generated vsphere.conf names, for the verification's messages. */
async function datacentersOf(conf: string): Promise<string[]> {
  const yaml = await import('js-yaml');
  const doc = yaml.load(conf) as { vcenter?: Record<string, { datacenters?: string[] }> } | undefined;
  return Object.values(doc?.vcenter ?? {}).flatMap((vc) => vc.datacenters ?? []);
}

/**
 * Config objects (real values unless `redacted`) then the manifest, all with
 * vk's labels. The DaemonSet's template carries a digest of the ConfigMap, so
 * a changed vsphere.conf rolls the CPI out during the install (the Secret's
 * credentials the CPI reads through the API, no restart needed).
 */
export function cpiObjects(plan: InstallCpiPlan, redacted = false): KubeObject[] {
  const config = (redacted
    ? redactedObjects(plan.config.objects)
    : revealObjects(plan.config.objects)) as unknown as KubeObject[];
  const configMap = plan.config.objects.find((o) => o.kind === 'ConfigMap');
  const manifest = configMap
    ? stampConfigHash(plan.manifest.objects, CPI_DAEMONSET, configMap.data)
    : plan.manifest.objects;
  return [...stampManagedBy(config, { component: 'cpi', version: plan.manifest.version }), ...manifest];
}

export async function applyInstallCpi(
  ctx: Context,
  plan: InstallCpiPlan,
  progress: Progress,
): Promise<InstallCpiResult> {
  const kube = await ctx.kube();
  const opts = plan.options;
  const base = {
    component: 'cpi' as const,
    version: plan.manifest.version,
    kubernetesVersion: plan.manifest.kubernetesVersion,
    manifest: plan.manifest.source,
    dryRun: opts.dryRun,
  };
  if (opts.dryRun === 'client') return clientDryRun(kube, base, cpiObjects(plan, true), plan.prune);
  const deadline = Date.now() + opts.timeoutMs;
  const dryRun = opts.dryRun === 'server';

  const objects = await progress.step(
    `Apply ${plan.manifest.objects.length + plan.config.objects.length} objects`,
    async (update) =>
      (
        await kube.apply(cpiObjects(plan), {
          force: opts.force,
          dryRun,
          onApplied: (r) => update(`${r.kind} ${r.name} ${r.action}`),
        })
      ).map(appliedObject),
  );
  if (dryRun) {
    await taintUninitialized(kube, plan, progress, true);
    return { ...base, objects, pruned: await applyPrune(kube, plan.prune, true), rollouts: [], verification: null };
  }

  const rollout = await progress.step('Wait for the CPI DaemonSet', (update) =>
    timedRollout(kube, 'DaemonSet', CPI_DAEMONSET, deadline, update),
  );
  // Only now: a CPI of the earlier config would initialize the nodes again without the new labels.
  await taintUninitialized(kube, plan, progress, false);
  const verification = await progress.step('Verify every node is initialized', () => verifyNodes(kube, plan, deadline));
  const result = { ...base, objects, pruned: [], rollouts: [rollout], verification };
  // The earlier release's leftovers go only once this one works: a failed upgrade keeps them.
  if (plan.prune.length === 0 || cpiVerificationError(result)) return result;
  const pruned = await progress.step(`Prune ${plan.prune.length} objects of the earlier release`, () =>
    applyPrune(kube, plan.prune, false),
  );
  return { ...result, pruned };
}

/**
 * The CPI picks a node's addresses when it initializes the node and then at
 * each node status sync (the CCM's --node-status-update-frequency, 5 min by
 * default; a sync right after a restart may run before the nodes are found
 * again). Nodes initialized before a change of the `nodes` options get the
 * new addresses then, not during the install: say so instead of implying it.
 */
export function addressesNote(plan: InstallCpiPlan, result: InstallCpiResult): string | undefined {
  const nodes = plan.options.generate.nodes;
  if (!nodes || Object.values(nodes).every((v) => v === undefined || (Array.isArray(v) && v.length === 0))) return;
  const changed = result.objects.some((o) => o.kind === 'ConfigMap' && o.action === 'configured');
  const earlier = (result.verification?.nodes ?? []).filter((n) => !plan.taintNodes.includes(n.name)).length;
  if (!changed || earlier === 0) return;
  return `the CPI applies the new nodes options to the addresses of the ${earlier} node${earlier === 1 ? '' : 's'} it had initialized at its next node status sync (every 5 minutes by default); kubectl get nodes -o wide shows them`;
}

/** Taints the nodes the CPI must (re)initialize; it initializes only nodes with the uninitialized taint. */
async function taintUninitialized(kube: KubeClient, plan: InstallCpiPlan, progress: Progress, dryRun: boolean) {
  if (plan.taintNodes.length === 0) {
    await progress.skip(
      'Taint uninitialized nodes',
      plan.options.noTaint ? '--no-taint' : 'every node has a providerID',
    );
    return;
  }
  await progress.step(`Taint ${plan.taintNodes.length} uninitialized nodes`, async () => {
    const taintPlan = await planTaintNodes(kube, { names: plan.taintNodes, operation: 'add' });
    const r = await applyTaintNodes(kube, taintPlan, { concurrency: TAINT_CONCURRENCY, dryRun });
    const failed = r.nodes.find((n) => n.action === 'failed');
    if (failed) throw new VkError(`tainting node ${failed.name} failed: ${failed.error}`);
  });
}

const zonesConfigured = (input: InstallCpiInput) =>
  input.generate.region !== undefined && input.generate.zone !== undefined;
const hasZoneLabels = (n: V1Node | undefined) =>
  !!n?.metadata?.labels?.[ZONE_LABEL] && !!n.metadata.labels[REGION_LABEL];

const initializedNode = (n: V1Node | undefined) =>
  !!n?.spec?.providerID?.startsWith('vsphere://') &&
  !(n.spec.taints ?? []).some((t) => t.key === UNINITIALIZED_TAINT.key);

async function verifyNodes(kube: KubeClient, plan: InstallCpiPlan, deadline: number): Promise<CpiVerification> {
  const zoned = zonesConfigured(plan.options);
  const initialized = (n: V1Node | undefined) => initializedNode(n) && (!zoned || hasZoneLabels(n));
  const names = (await kube.list<V1Node>('v1', 'Node')).items.map((n) => n.metadata!.name!).sort();
  const state = await waitForAll<V1Node>(kube, 'v1', 'Node', names, initialized, deadline);
  const failed = names.filter((n) => !initialized(state.get(n)));
  const logLines = failed.length ? await ccmLogAbout(kube, plan, failed) : [];
  return {
    nodes: names.map((name) => {
      const node = state.get(name);
      const ok = initialized(node);
      return {
        name,
        providerID: node?.spec?.providerID ?? null,
        initialized: ok,
        ...(zoned && node?.metadata?.labels?.[ZONE_LABEL]
          ? { region: node.metadata.labels[REGION_LABEL], zone: node.metadata.labels[ZONE_LABEL] }
          : {}),
        ...(ok
          ? {}
          : {
              cause:
                zoned && (initializedNode(node) || logLines.some((l) => NO_ZONE_TAG.test(l)))
                  ? zoneCause(plan.options.generate, logLines)
                  : likelyCause(name, node, logLines, plan.datacenters),
            }),
      };
    }),
  };
}

/** How long to wait before reading the CCM log again when it says nothing of the failed nodes yet. */
const CCM_LOG_RETRY_MS = 3_000;

/**
 * The CCM log for explaining these nodes: read again once, after a pause,
 * when it names none of them (a log endpoint that answered empty, a pod that
 * just restarted), so the cause quotes the CCM's own words.
 */
async function ccmLogAbout(kube: KubeClient, plan: InstallCpiPlan, nodes: string[]): Promise<string[]> {
  const lines = await ccmLog(kube, plan);
  if (lines.some((l) => nodes.some((n) => l.includes(n)))) return lines;
  await sleep(CCM_LOG_RETRY_MS);
  return ccmLog(kube, plan);
}

/** CCM pods whose logs are read: one per node of a three-node HA control plane; more would repeat the same lines. */
const CCM_PODS_READ = 3;

/** The last lines of the CCM pods' logs (empty when they cannot be read). */
async function ccmLog(kube: KubeClient, plan: InstallCpiPlan): Promise<string[]> {
  const ds = findObject(plan.manifest.objects, 'DaemonSet', CPI_DAEMONSET.name) as
    { spec?: { selector?: { matchLabels?: Record<string, string> } } } | undefined;
  const labels = ds?.spec?.selector?.matchLabels ?? {};
  const selector = Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  try {
    const pods = await kube.list<V1Pod>('v1', 'Pod', { namespace: CPI_DAEMONSET.namespace, labelSelector: selector });
    const logs = await Promise.all(
      pods.items
        .slice(0, CCM_PODS_READ)
        .map((p) =>
          kube.podLog(CPI_DAEMONSET.namespace, p.metadata!.name!, { tailLines: DRIVER_LOG_TAIL_LINES }).catch(() => ''),
        ),
    );
    return logs.flatMap((l) => l.split('\n')).filter((l) => l.trim() !== '');
  } catch {
    return [];
  }
}

const NO_UUID = /uuid/i;
const NOT_FOUND = /not found|discoverNode|NotFound|No VM found/i;

/** The likely reason a node was not initialized, from the CCM's log and the node itself. */
export function likelyCause(name: string, node: V1Node | undefined, log: string[], datacenters: string[]): string {
  const quote = (line: string) => ` (CCM log: "${logExcerpt(line)}")`;
  if (!node) return 'the node was deleted while waiting';
  const cred = log.findLast((l) => LOGIN_FAILURE.test(l));
  if (cred) return `the CPI cannot log in to vCenter: wrong credentials in its Secret${quote(cred)}`;
  const about = log.filter((l) => l.includes(name));
  const uuid = about.findLast((l) => NO_UUID.test(l));
  if (uuid || !node.status?.nodeInfo?.systemUUID) {
    return 'the VM reports no UUID: set disk.enableUUID=TRUE on the VM and power-cycle it' + (uuid ? quote(uuid) : '');
  }
  const dcs = datacenters.length ? datacenters.join(', ') : 'the configured datacenters';
  const missing = about.findLast((l) => NOT_FOUND.test(l));
  if (missing) return `VM not found in ${dcs}${quote(missing)}`;
  return (
    `not initialized; likely causes: the VM is not in ${dcs}, disk.enableUUID is not set or the VM was not ` +
    `power-cycled after setting it, or the credentials in the CPI Secret are wrong; check ` +
    `'kubectl -n kube-system logs ds/${CPI_DAEMONSET.name}'`
  );
}

const NO_ZONE_TAG = /does not match any tags|zone category|region category/i;

/** Why an initialized node got no zone labels: no tag of the categories above its host, in the CPI's words. */
function zoneCause(generate: InstallCpiInput['generate'], log: string[]): string {
  const line = log.findLast((l) => NO_ZONE_TAG.test(l));
  return (
    `no ${ZONE_LABEL} and ${REGION_LABEL}: the CPI found no ${generate.zone} or ${generate.region} tag above the node's host; ` +
    `run 'vk topology' to see the tags, 'vk topology --create' to add them` +
    (line ? ` (CCM log: "${logExcerpt(line)}")` : '')
  );
}

/** The error for a verification that left nodes uninitialized, if any. */
export function cpiVerificationError(result: InstallCpiResult): VkError | undefined {
  const failed = result.verification?.nodes.filter((n) => !n.initialized) ?? [];
  if (failed.length === 0) return undefined;
  const list = failed.map((n) => `${n.name}: ${n.cause}`).join('; ');
  return new VkError(
    `${failed.length} of ${result.verification!.nodes.length} nodes not initialized by the CPI: ${list}`,
    {
      hint: "fix the cause, then re-run 'vk install cpi' (it changes nothing else and waits again)",
    },
  );
}

export const installCpiStep: Step<InstallCpiInput, InstallCpiPlan, InstallCpiResult> = {
  id: 'install-cpi',
  title: 'Install the vSphere CPI',
  validate: validateInstallOptions,
  async plan(ctx, input, run) {
    const plan = await planInstallCpi(ctx, { ...input, dryRun: run.dryRun });
    for (const s of plan.config.secrets) ctx.log.addSecret(s);
    return plan;
  },
  describe: (plan) => ({
    ...describeInstallPlan(plan.manifest, cpiObjects(plan, true), plan.prune),
    taintNodes: plan.taintNodes,
  }),
  apply: (ctx, plan, run) => applyInstallCpi(ctx, plan, run.progress),
  summary: installStepSummary,
  failure: cpiVerificationError,
};
