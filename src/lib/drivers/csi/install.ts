// Step: install the vSphere CSI driver. plan() checks that the CPI has
// initialized every node (preflight), counts the control-plane nodes for the
// controller's replicas and builds the config secret; apply() server-side
// applies namespace → config secret → manifest, waits for the controller
// Deployment and node DaemonSet, then verifies the CSIDriver exists and every
// node's CSINode lists it.

import { uninitializedNodes } from '../../nodes/taint-nodes.js';
import type { KubernetesObject, V1CSINode, V1Node } from '@kubernetes/client-node';
import type { Progress } from '../../cli/progress.js';
import type { KubeClient } from '../../kube/client.js';
import type { CheckedRelease } from '../../doctor/vsphere-requirements.js';
import type { Context } from '../../core/context.js';
import { VkError } from '../../core/errors.js';
import type { Step } from '../../core/step.js';
import { redactedObjects, revealObjects } from '../config-objects.js';
import type { KubeObject } from '../manifests/objects.js';
import {
  CSI_CONTROLLER_DEPLOYMENT,
  controllerReplicas,
  setControllerReplicas,
  stampConfigHash,
  stampManagedBy,
} from '../manifests/transforms.js';
import { describeTopology, setCsiTopology, type TopologyPlan } from '../manifests/topology.js';
import { generateDeps, planCsi, type CsiOptions, type GeneratePlan } from '../generate.js';
import { CA_BUNDLE_KEY } from '../ca-bundle.js';
import { csiSecret } from './config.js';
import { applyPrune, planPrune, type UninstallObject } from '../uninstall.js';
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
import {
  CSI_CONTROLLER,
  CSI_DRIVER_NAME,
  CSI_NAMESPACE,
  CSI_NODE,
  CSI_TOPOLOGY_PREFIX,
  REGION_LABEL,
  ZONE_LABEL,
} from '../names.js';

const NODE_DAEMONSET = CSI_NODE.name;

export interface InstallCsiInput extends InstallOptions {
  generate: Omit<CsiOptions, 'log'>;
  skipPreflight: boolean;
  /** What to do when the preflight fails (default: the vk install csi way). */
  preflightHint?: string;
  /** The caller already checked vSphere against the release (vk up, before its first step). */
  vsphereChecked?: boolean;
}

export interface InstallCsiPlan {
  options: InstallCsiInput;
  manifest: PreparedManifest;
  config: GeneratePlan;
  nodes: string[];
  controllerReplicas: number;
  /** Whether csi-provisioner runs with topology, as the config's topology categories ask. */
  topology: TopologyPlan;
  /** vk's CSI objects of an earlier release that this one no longer carries: removed once it is verified. */
  prune: UninstallObject[];
}

export interface CsiVerification {
  csiDriver: boolean;
  /** With topology: each node's topology (category → value) as the driver reports it, and what is wrong with it. */
  nodes: { name: string; registered: boolean; topology?: Record<string, string>; topologyProblem?: string }[];
}

export type InstallCsiResult = InstallResult<CsiVerification>;

const isControlPlane = (n: V1Node) =>
  Object.keys(n.metadata?.labels ?? {}).some(
    (k) => k === 'node-role.kubernetes.io/control-plane' || k === 'node-role.kubernetes.io/master',
  );

/** Reads the nodes, the manifest and the config; refuses when the CPI has not initialized the nodes. */
export async function planInstallCsi(ctx: Context, input: InstallCsiInput): Promise<InstallCsiPlan> {
  validateInstallOptions(input);
  const kube = await ctx.kube();
  const nodes = (await kube.list<V1Node>('v1', 'Node')).items;
  if (!input.skipPreflight && !input.vsphereChecked) {
    // First: on a vSphere the release cannot run, nothing else matters.
    const { refuseUnsupportedVsphere } = await import('../../doctor/vsphere-requirements.js');
    await refuseUnsupportedVsphere(await ctx.vsphere(), nodes, await csiCheckedRelease(kube, input), {
      warn: (m) => ctx.log.warn(m),
      hint: '--skip-preflight to install anyway',
    });
  }
  if (!input.skipPreflight && input.generate.topologyCategories.length > 0) {
    const { assertCategoriesExist } = await import('../../topology/topology.js');
    await assertCategoriesExist(await ctx.vsphere(), input.generate.topologyCategories, '--topology-category', (m) =>
      ctx.log.warn(m),
    );
  }
  const uninitialized = uninitializedNodes(nodes);
  if (uninitialized.length && !input.skipPreflight) {
    const shown = uninitialized.slice(0, 5).join(', ') + (uninitialized.length > 5 ? ', …' : '');
    throw new VkError(
      `${uninitialized.length} of ${nodes.length} nodes have no providerID (${shown}): the vSphere CPI has not initialized them`,
      { hint: input.preflightHint ?? "run 'vk install cpi' first, or pass --skip-preflight" },
    );
  }
  const manifest = await prepareManifest(ctx, kube, 'csi', input);
  // The config carries the keys the installed driver reads; a manifest whose
  // version cannot be read gets those of the release the table picks.
  const known = /^v\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/.test(manifest.version) ? manifest.version : undefined;
  // A --ca-file bundle goes into the Secret; the config names it where the controller mounts that Secret.
  const configMount = input.generate.settings.caFile
    ? configMountDir(manifest.objects, {
        kind: 'Deployment',
        name: CSI_CONTROLLER_DEPLOYMENT,
        source: { kind: 'Secret', name: csiSecret.name },
        key: CA_BUNDLE_KEY,
      })
    : undefined;
  const config = await planCsi(
    {
      ...input.generate,
      version: input.generate.version ?? known,
      verify: false,
      checkDatacenters: true,
      log: ctx.log,
      configMountDir: configMount,
    },
    generateDeps(ctx),
  );
  const replicas = controllerReplicas(nodes.filter(isControlPlane).length);
  const { objects, topology } = setCsiTopology(
    setControllerReplicas(manifest.objects, replicas),
    input.generate.topologyCategories,
  );
  if (topology.enabled || topology.changes.length > 0) ctx.log.info(describeTopology(topology));
  const plan = {
    options: input,
    manifest: { ...manifest, objects },
    config,
    nodes: nodes.map((n) => n.metadata!.name!).sort(),
    controllerReplicas: replicas,
    topology,
    prune: [],
  };
  return { ...plan, prune: await planPrune(await ctx.kube(), 'csi', csiObjects(plan, true)) };
}

/** The release the preflight checks vSphere against: --version, the --manifest's, or the table's for the cluster. */
export async function csiCheckedRelease(
  kube: KubeClient,
  input: Pick<InstallCsiInput, 'version' | 'manifest'>,
): Promise<CheckedRelease> {
  if (input.version) return { version: input.version, why: '--version' };
  if (input.manifest !== undefined) return { version: 'of --manifest', why: 'a 3.x release' };
  const { tableCsiRelease } = await import('../../doctor/vsphere-requirements.js');
  return tableCsiRelease((await kube.version()).gitVersion);
}

/** Namespaces first, then the config secret, then the rest of the manifest, all with vk's labels. */
export function csiObjects(plan: InstallCsiPlan, redacted = false): KubeObject[] {
  const raw = redacted ? redactedObjects(plan.config.objects) : revealObjects(plan.config.objects);
  const config = stampManagedBy(raw as unknown as KubeObject[], { component: 'csi', version: plan.manifest.version });
  const namespaces = plan.manifest.objects.filter((o) => o.kind === 'Namespace');
  const rest = plan.manifest.objects.filter((o) => o.kind !== 'Namespace');
  return [...namespaces, ...config, ...stampCsiConfigHash(rest, plan)];
}

/**
 * The controller's and the node plugin's templates carry a digest of
 * csi-vsphere.conf with its passwords left out (a digest of a password could
 * be guessed offline; a new password reaches the driver through
 * rotate-credentials). A changed config, such as topology categories added to
 * a running install, so restarts the node plugin, which reports its topology
 * only when it registers with kubelet.
 */
function stampCsiConfigHash(objects: KubeObject[], plan: InstallCsiPlan): KubeObject[] {
  const secret = redactedObjects(plan.config.objects).find((o) => o.kind === 'Secret');
  const data = secret?.stringData as Record<string, string> | undefined;
  if (!data) return objects;
  return stampConfigHash(stampConfigHash(objects, CSI_CONTROLLER, data), CSI_NODE, data);
}

export async function applyInstallCsi(
  ctx: Context,
  plan: InstallCsiPlan,
  progress: Progress,
): Promise<InstallCsiResult> {
  const kube = await ctx.kube();
  const opts = plan.options;
  const objectsToApply = csiObjects(plan);
  const base = {
    component: 'csi' as const,
    version: plan.manifest.version,
    kubernetesVersion: plan.manifest.kubernetesVersion,
    manifest: plan.manifest.source,
    dryRun: opts.dryRun,
  };
  if (opts.dryRun === 'client') return clientDryRun(kube, base, csiObjects(plan, true), plan.prune);
  const deadline = Date.now() + opts.timeoutMs;
  const dryRun = opts.dryRun === 'server';
  const objects = await progress.step(`Apply ${objectsToApply.length} objects`, async (update) =>
    (
      await kube.apply(objectsToApply, {
        force: opts.force,
        dryRun,
        onApplied: (r) => update(`${r.kind} ${r.name} ${r.action}`),
      })
    ).map(appliedObject),
  );
  if (dryRun) {
    return { ...base, objects, pruned: await applyPrune(kube, plan.prune, true), rollouts: [], verification: null };
  }

  const controller = await progress.step(
    `Wait for the CSI controller (${plan.controllerReplicas} replica${plan.controllerReplicas === 1 ? '' : 's'})`,
    (update) =>
      timedRollout(kube, 'Deployment', { namespace: CSI_NAMESPACE, name: CSI_CONTROLLER_DEPLOYMENT }, deadline, update),
  );
  const node = await progress.step('Wait for the CSI node DaemonSet', (update) =>
    timedRollout(kube, 'DaemonSet', { namespace: CSI_NAMESPACE, name: NODE_DAEMONSET }, deadline, update),
  );
  const verification = await progress.step('Verify the driver is registered on every node', async () => {
    const drivers = await waitForAll<KubernetesObject>(
      kube,
      'storage.k8s.io/v1',
      'CSIDriver',
      [CSI_DRIVER_NAME],
      (d) => d !== undefined,
      deadline,
    );
    const keys = plan.topology.categories.map((c) => CSI_TOPOLOGY_PREFIX + c);
    const lists = (n: V1CSINode | undefined) =>
      !!n?.spec?.drivers?.some(
        (d) => d.name === CSI_DRIVER_NAME && keys.every((k) => (d.topologyKeys ?? []).includes(k)),
      );
    const csiNodes = await waitForAll<V1CSINode>(kube, 'storage.k8s.io/v1', 'CSINode', plan.nodes, lists, deadline);
    const topology = plan.topology.enabled ? await nodeTopology(kube, plan.topology.categories) : undefined;
    return {
      csiDriver: drivers.get(CSI_DRIVER_NAME) !== undefined,
      nodes: plan.nodes.map((name) => ({ name, registered: lists(csiNodes.get(name)), ...topology?.get(name) })),
    };
  });
  const result = { ...base, objects, pruned: [], rollouts: [controller, node], verification };
  // The earlier release's leftovers go only once this one works: a failed upgrade keeps them.
  if (plan.prune.length === 0 || csiVerificationError(result)) return result;
  const pruned = await progress.step(`Prune ${plan.prune.length} objects of the earlier release`, () =>
    applyPrune(kube, plan.prune, false),
  );
  return { ...result, pruned };
}

/**
 * Each node's topology as the CSI driver reports it (its node labels
 * topology.csi.vmware.com/<category>), checked against the zone and region
 * labels the CPI set from the same categories.
 */
async function nodeTopology(
  kube: KubeClient,
  categories: readonly string[],
): Promise<Map<string, { topology: Record<string, string>; topologyProblem?: string }>> {
  const { readDriverConfigs } = await import('../../doctor/drivers.js');
  const [nodes, configs] = await Promise.all([kube.list<V1Node>('v1', 'Node'), readDriverConfigs(kube)]);
  const cpiLabels = configs.cpi.ok ? configs.cpi.value?.labels : undefined;
  const cpiLabelOf: Record<string, string> = {
    ...(cpiLabels?.region ? { [cpiLabels.region]: REGION_LABEL } : {}),
    ...(cpiLabels?.zone ? { [cpiLabels.zone]: ZONE_LABEL } : {}),
  };
  const out = new Map<string, { topology: Record<string, string>; topologyProblem?: string }>();
  for (const n of nodes.items) {
    const labels = n.metadata?.labels ?? {};
    const topology: Record<string, string> = {};
    const problems: string[] = [];
    for (const c of categories) {
      const v = labels[CSI_TOPOLOGY_PREFIX + c];
      if (!v) {
        problems.push(`no ${CSI_TOPOLOGY_PREFIX + c} label`);
        continue;
      }
      topology[c] = v;
      const cpiLabel = cpiLabelOf[c];
      if (cpiLabel && labels[cpiLabel] && labels[cpiLabel] !== v) {
        problems.push(`${c} ${v} for the CSI driver but ${cpiLabel}=${labels[cpiLabel]} from the CPI`);
      }
    }
    out.set(n.metadata!.name!, { topology, ...(problems.length ? { topologyProblem: problems.join(', ') } : {}) });
  }
  return out;
}

/** The error for a verification that did not complete, if any. */
export function csiVerificationError(result: InstallCsiResult): VkError | undefined {
  const v = result.verification;
  if (!v) return undefined;
  const missing = v.nodes.filter((n) => !n.registered).map((n) => n.name);
  const topology = v.nodes.filter((n) => n.registered && n.topologyProblem);
  if (v.csiDriver && missing.length === 0 && topology.length === 0) return undefined;
  const parts = [
    ...(v.csiDriver ? [] : [`CSIDriver ${CSI_DRIVER_NAME} does not exist`]),
    ...(missing.length
      ? [
          `the CSINode of ${missing.join(', ')} does not list ${CSI_DRIVER_NAME}${v.nodes.some((n) => n.topology) ? ' with its topology keys' : ''}`,
        ]
      : []),
    ...topology.map((n) => `node ${n.name}: ${n.topologyProblem}`),
  ];
  if (missing.length === 0) {
    return new VkError(`the CSI driver's node topology is wrong: ${parts.join('; ')}`, {
      hint: 'vk topology lists the tags above each node; vk doctor checks them (zone-tags)',
    });
  }
  return new VkError(`the CSI driver is not registered: ${parts.join('; ')}`, {
    hint: `check 'kubectl -n ${CSI_NAMESPACE} logs ds/${NODE_DAEMONSET} -c node-driver-registrar'`,
  });
}

export interface InstallCsiStepInput extends InstallCsiInput {
  /**
   * vk up: a server dry run where the driver's namespace does not exist yet
   * (the API server cannot validate objects in it) falls back to a client one.
   */
  serverDryRunFallback?: boolean;
}

export type InstallCsiStepPlan = InstallCsiPlan & { namespaceMissing?: boolean };
export type InstallCsiStepResult = InstallCsiResult & { namespaceMissing?: boolean };

export const installCsiStep: Step<InstallCsiStepInput, InstallCsiStepPlan, InstallCsiStepResult> = {
  id: 'install-csi',
  title: 'Install the vSphere CSI driver',
  validate: validateInstallOptions,
  async plan(ctx, input, run) {
    const namespaceMissing =
      run.dryRun === 'server' &&
      input.serverDryRunFallback === true &&
      !(await (await ctx.kube()).find({ apiVersion: 'v1', kind: 'Namespace', name: CSI_NAMESPACE }));
    const plan = await planInstallCsi(ctx, { ...input, dryRun: namespaceMissing ? 'client' : run.dryRun });
    for (const s of plan.config.secrets) ctx.log.addSecret(s);
    return namespaceMissing ? { ...plan, namespaceMissing } : plan;
  },
  describe: (plan) => ({
    ...describeInstallPlan(plan.manifest, csiObjects(plan, true), plan.prune),
    nodes: plan.nodes,
    topology: plan.topology,
  }),
  async apply(ctx, plan, run) {
    const result = await applyInstallCsi(ctx, plan, run.progress);
    return plan.namespaceMissing ? { ...result, namespaceMissing: true } : result;
  },
  summary: (r) =>
    r.namespaceMissing
      ? `${r.version}: ${r.objects.length} objects would be created (namespace ${CSI_NAMESPACE} does not exist yet)`
      : installStepSummary(r),
  failure: csiVerificationError,
};
