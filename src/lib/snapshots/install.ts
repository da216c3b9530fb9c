// Step: volume snapshots for the vSphere CSI driver. plan() reads the CSI
// controller (its csi-snapshotter sidecar names the external-snapshotter
// release), the driver's snapshot feature state, vCenter and the node VMs'
// hosts (snapshots need 7.0 U3), the snapshot CRDs and controllers already in
// the cluster, and downloads the release's CRDs and snapshot-controller;
// apply() server-side applies the CRDs, waits until they are established,
// applies the controller and the VolumeSnapshotClass, waits for the rollout,
// prunes what an earlier release left, and verifies the class and the
// sidecar. A snapshot-controller someone else installed is used, not
// replaced: two controllers would both act on every VolumeSnapshot.

import type { KubernetesObject, V1Deployment, V1Node, V1ConfigMap } from '@kubernetes/client-node';
import type { Context } from '../core/context.js';
import type { Progress } from '../cli/progress.js';
import { isNotFound, type KubeClient } from '../kube/client.js';
import { VkError, UsageError } from '../core/errors.js';
import type { Step } from '../core/step.js';
import { CSI_CONTROLLER, CSI_DRIVER_NAME, CSI_NAMESPACE } from '../drivers/names.js';
import { CSI_VSPHERE_FEATURES, manifestBaseUrl } from '../drivers/manifests/compatibility.js';
import { rewriteImages, validateImageRegistry } from '../drivers/manifests/images.js';
import { DEFAULT_DOWNLOAD_TIMEOUT_MS, loadManifest } from '../drivers/manifests/load.js';
import type { KubeObject } from '../drivers/manifests/objects.js';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, stampManagedBy } from '../drivers/manifests/transforms.js';
import { atLeast, parseVsphereVersion, vsphereLabel } from '../vsphere/versions.js';
import { applyPrune, planPrune, type UninstallObject } from '../drivers/uninstall.js';
import {
  appliedObject,
  clientDryRun,
  describeInstallPlan,
  installStepSummary,
  timedRollout,
  type AppliedObject,
  type DryRun,
  type InstallResult,
  type Rollout,
} from '../drivers/install-common.js';
import {
  ANY_CONTROLLER_IMAGE,
  DEFAULT_CLASS_ANNOTATION,
  FEATURE_STATES_CONFIGMAP,
  pinControllerImage,
  SNAPSHOT_API_VERSION,
  SNAPSHOT_CONTROLLER,
  SNAPSHOT_CRDS,
  SNAPSHOT_FEATURE_STATE,
  SNAPSHOTTER_SIDECAR,
  sidecarVersion,
  snapshotClass,
  snapshotterUrls,
} from './release.js';

export const SNAPSHOTS_COMPONENT = 'snapshots' as const;
const FEATURE = CSI_VSPHERE_FEATURES.find((f) => f.usedBy === 'VolumeSnapshot')!;

export interface InstallSnapshotsInput {
  /** --version: the external-snapshotter release (default: the CSI controller's csi-snapshotter tag). */
  version?: string;
  imageRegistry?: string;
  /** --class NAME */
  className: string;
  deletionPolicy: 'Delete' | 'Retain';
  /** --default (true unless another class is the driver's default already, or --no-default). */
  makeDefault?: boolean;
  timeoutMs: number;
  dryRun: DryRun;
  force: boolean;
  skipPreflight: boolean;
}

/** A snapshot-controller that vk did not install (found by its image). */
export interface ForeignController {
  namespace: string;
  name: string;
  image: string;
}

export interface InstallSnapshotsPlan {
  options: InstallSnapshotsInput;
  version: string;
  /** Why this version: "csi-snapshotter of vmware-system-csi/vsphere-csi-controller" or "--version". */
  versionFrom: string;
  /** The CSI driver's release, from its controller's labels (for messages). */
  csiVersion?: string;
  source: string[];
  kubernetesVersion: string;
  /** The CRDs and the snapshot-controller to apply; empty when another controller is in use. */
  objects: KubeObject[];
  /** The VolumeSnapshotClass, applied once the CRDs are established. */
  snapshotClass: KubeObject;
  /** The CSI controller's pods (its Deployment's selector), where the sidecar is verified. */
  csiPods: string;
  /** Another installer's snapshot-controller, used as it is. */
  foreign?: ForeignController;
  /** A class of another name already is the driver's default: this one is not marked. */
  otherDefault?: string;
  prune: UninstallObject[];
}

export interface SnapshotsVerification {
  snapshotClass: boolean;
  /** The CSI controller's csi-snapshotter containers, ready in every running pod. */
  sidecarReady: boolean;
  /** CSI controller pods running (the sidecar is checked in those). */
  controllerPodsRunning: number;
  controller: 'vk' | 'foreign';
}

export type InstallSnapshotsResult = InstallResult<SnapshotsVerification> & {
  snapshotClass: string;
  csiVersion?: string;
};

const VERSION = /^v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/;

/** Rejects bad flags before any request. */
export function validateSnapshotsInput(input: InstallSnapshotsInput): void {
  if (input.version !== undefined && !VERSION.test(input.version)) {
    throw new UsageError(
      `invalid --version "${input.version}": expected an external-snapshotter release such as v8.2.0`,
    );
  }
  if (input.imageRegistry !== undefined) validateImageRegistry(input.imageRegistry);
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(input.className) || input.className.length > 253) {
    throw new UsageError(
      `invalid --class "${input.className}": expected a lowercase DNS name such as vsphere-snapshots`,
    );
  }
  if (!(input.timeoutMs > 0)) throw new UsageError('--timeout must be a positive duration such as 5m or 90s');
}

const controllerRef = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  namespace: CSI_CONTROLLER.namespace,
  name: CSI_CONTROLLER.name,
};

/** Reads what snapshots depend on; refuses before anything is applied when they cannot work. */
export async function planInstallSnapshots(ctx: Context, input: InstallSnapshotsInput): Promise<InstallSnapshotsPlan> {
  validateSnapshotsInput(input);
  const kube = await ctx.kube();
  const csi = await kube.find<V1Deployment>(controllerRef);
  if (!csi) {
    throw new VkError(
      `the vSphere CSI driver is not installed: no Deployment ${CSI_NAMESPACE}/${CSI_CONTROLLER.name}`,
      {
        hint: "run 'vk install csi' first",
      },
    );
  }
  const csiVersion = csi.metadata?.labels?.['vk.io/version'];
  const sidecar = csi.spec?.template?.spec?.containers?.find((c) => c.name === SNAPSHOTTER_SIDECAR);
  const fromSidecar = sidecarVersion(sidecar?.image);
  if (!sidecar) {
    throw new VkError(
      `the CSI controller ${CSI_NAMESPACE}/${CSI_CONTROLLER.name}${csiVersion ? ` (${csiVersion})` : ''} runs no ${SNAPSHOTTER_SIDECAR} sidecar, so it cannot take snapshots`,
      { hint: "upgrade the driver with 'vk install csi' (vSphere CSI v2.5 and later ship the sidecar)" },
    );
  }
  const version = input.version ? (input.version.startsWith('v') ? input.version : `v${input.version}`) : fromSidecar;
  if (!version) {
    throw new VkError(
      `cannot read the external-snapshotter release from the ${SNAPSHOTTER_SIDECAR} image "${sidecar.image}"`,
      {
        hint: 'pass --version, e.g. --version v8.2.0',
      },
    );
  }
  if (input.version && fromSidecar && version !== fromSidecar) {
    ctx.log.warn(
      `--version ${version} differs from the CSI controller's ${SNAPSHOTTER_SIDECAR} ${fromSidecar}, the release the driver is qualified with`,
    );
  }

  if (!input.skipPreflight) {
    await refuseDisabledFeature(kube);
    await refuseOldVsphere(ctx, (await kube.list<V1Node>('v1', 'Node')).items);
  }

  const [{ gitVersion }, foreign, crds, classes] = await Promise.all([
    kube.version(),
    foreignController(kube),
    existingCrds(kube),
    existingClasses(kube),
  ]);
  if (foreign) {
    const old = crds.filter((c) => !c.servesV1).map((c) => c.name);
    if (old.length > 0) {
      throw new VkError(`the snapshot CRDs ${old.join(', ')} do not serve v1, which the CSI driver's sidecar needs`, {
        hint: `upgrade the snapshot-controller ${foreign.namespace}/${foreign.name} and its CRDs, or remove them and re-run`,
      });
    }
    ctx.log.warn(
      `a snapshot-controller not installed by vk runs as ${foreign.namespace}/${foreign.name} (${foreign.image}): vk uses it and installs only the VolumeSnapshotClass`,
    );
  }
  const missingCrds = SNAPSHOT_CRDS.filter((n) => !crds.some((c) => c.name === n));
  if (foreign && missingCrds.length > 0) {
    throw new VkError(
      `a snapshot-controller runs as ${foreign.namespace}/${foreign.name}, but the CRDs ${missingCrds.join(', ')} are missing`,
      {
        hint: 'install the CRDs of its external-snapshotter release, or remove that controller and re-run',
      },
    );
  }

  const source = foreign ? [] : snapshotterUrls(manifestBaseUrl(ctx.env), version);
  let objects: KubeObject[] = [];
  if (!foreign) {
    objects = await loadManifest({ urls: source }, { timeoutMs: DEFAULT_DOWNLOAD_TIMEOUT_MS, signal: ctx.signal });
    objects = pinControllerImage(objects, version);
    if (input.imageRegistry) objects = rewriteImages(objects, input.imageRegistry);
    objects = stampManagedBy(objects, { component: SNAPSHOTS_COMPONENT, version });
  }
  const otherDefault = classes.find(
    (c) => c.driver === CSI_DRIVER_NAME && c.isDefault && c.name !== input.className,
  )?.name;
  const isDefault = input.makeDefault ?? !otherDefault;
  if (otherDefault && input.makeDefault === undefined) {
    ctx.log.info(
      `VolumeSnapshotClass ${otherDefault} is the driver's default already; ${input.className} is not marked default`,
    );
  }
  const [cls] = stampManagedBy(
    [
      snapshotClass({
        name: input.className,
        driver: CSI_DRIVER_NAME,
        deletionPolicy: input.deletionPolicy,
        isDefault,
      }),
    ],
    { component: SNAPSHOTS_COMPONENT, version },
  );
  const prune = foreign ? [] : await planPrune(kube, SNAPSHOTS_COMPONENT, objects);
  return {
    options: input,
    version,
    versionFrom: input.version ? '--version' : `${SNAPSHOTTER_SIDECAR} of ${CSI_NAMESPACE}/${CSI_CONTROLLER.name}`,
    ...(csiVersion ? { csiVersion } : {}),
    source,
    kubernetesVersion: gitVersion,
    csiPods: Object.entries(csi.spec?.selector?.matchLabels ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(','),
    objects,
    snapshotClass: cls!,
    ...(foreign ? { foreign } : {}),
    ...(otherDefault && !isDefault ? { otherDefault } : {}),
    prune,
  };
}

/** The driver reads block-volume-snapshot from its feature states; "false" there refuses every snapshot. */
async function refuseDisabledFeature(kube: KubeClient): Promise<void> {
  const cm = await kube.find<V1ConfigMap>({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    namespace: CSI_NAMESPACE,
    name: FEATURE_STATES_CONFIGMAP,
  });
  const state = cm?.data?.[SNAPSHOT_FEATURE_STATE];
  if (state !== undefined && state !== 'true') {
    throw new VkError(`the CSI driver's feature state ${SNAPSHOT_FEATURE_STATE} is "${state}": it refuses snapshots`, {
      hint:
        `kubectl -n ${CSI_NAMESPACE} patch configmap ${FEATURE_STATES_CONFIGMAP} --type merge ` +
        `-p '{"data":{"${SNAPSHOT_FEATURE_STATE}":"true"}}', then re-run`,
    });
  }
}

/** Snapshots need vCenter and every node VM's host at 7.0 U3 (the driver refuses below it). */
async function refuseOldVsphere(ctx: Context, nodes: V1Node[]): Promise<void> {
  const session = await ctx.vsphere();
  const short: string[] = [];
  const vc = parseVsphereVersion(session.about.apiVersion);
  if (vc && !atLeast(vc, FEATURE.vsphere)) short.push(`vCenter is ${vsphereLabel(vc)}`);
  if (FEATURE.scope === 'vcenter+esxi') {
    const { matchNodes, readHosts, readVms } = await import('../vms/node-vms.js');
    const [vms, hosts] = await Promise.all([readVms(session), readHosts(session)]);
    const old = new Map<string, string>();
    for (const m of matchNodes(nodes, vms)) {
      const host = m.vm?.host ? hosts.get(m.vm.host) : undefined;
      const v = parseVsphereVersion(host?.product?.apiVersion);
      if (host && v && !atLeast(v, FEATURE.vsphere)) old.set(host.name, vsphereLabel(v));
    }
    if (old.size > 0) short.push(`ESXi ${[...old].map(([h, v]) => `${h} is ${v}`).join(', ')}`);
  }
  if (short.length > 0) {
    throw new VkError(
      `${FEATURE.feature} need vSphere ${vsphereLabel(FEATURE.vsphere)} or later: ${short.join('; ')}`,
      {
        hint: `upgrade to ${vsphereLabel(FEATURE.vsphere)} or later, or pass --skip-preflight to install anyway`,
      },
    );
  }
}

async function foreignController(kube: KubeClient): Promise<ForeignController | undefined> {
  const list = await kube.list<V1Deployment>('apps/v1', 'Deployment');
  for (const d of list.items) {
    if (d.metadata?.labels?.[MANAGED_BY_LABEL] === MANAGED_BY_VALUE) continue;
    const c = d.spec?.template?.spec?.containers?.find((x) => ANY_CONTROLLER_IMAGE.test(x.image ?? ''));
    if (c) return { namespace: d.metadata!.namespace!, name: d.metadata!.name!, image: c.image! };
  }
  return undefined;
}

interface CrdState {
  name: string;
  servesV1: boolean;
}

async function existingCrds(kube: KubeClient): Promise<CrdState[]> {
  type Crd = KubernetesObject & { spec?: { versions?: { name: string; served?: boolean }[] } };
  const out: CrdState[] = [];
  for (const name of SNAPSHOT_CRDS) {
    const crd = await kube.find<Crd>({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name });
    if (crd) out.push({ name, servesV1: !!crd.spec?.versions?.some((v) => v.name === 'v1' && v.served !== false) });
  }
  return out;
}

interface ClassState {
  name: string;
  driver: string;
  isDefault: boolean;
}

async function existingClasses(kube: KubeClient): Promise<ClassState[]> {
  type Cls = KubernetesObject & { driver: string };
  try {
    const list = await kube.list<Cls>(SNAPSHOT_API_VERSION, 'VolumeSnapshotClass');
    return list.items.map((c) => ({
      name: c.metadata!.name!,
      driver: c.driver,
      isDefault: c.metadata?.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true',
    }));
  } catch (err) {
    if (isNotFound(err)) return []; // no CRD yet
    throw err;
  }
}

/** CRDs first, then the controller (RBAC, Deployment), then the class: the order they are applied in. */
export function snapshotObjects(plan: InstallSnapshotsPlan): KubeObject[] {
  return [...plan.objects, plan.snapshotClass];
}

export async function applyInstallSnapshots(
  ctx: Context,
  plan: InstallSnapshotsPlan,
  progress: Progress,
): Promise<InstallSnapshotsResult> {
  const kube = await ctx.kube();
  const opts = plan.options;
  const dryRun = opts.dryRun === 'server';
  const deadline = Date.now() + opts.timeoutMs;
  const base = {
    component: SNAPSHOTS_COMPONENT,
    version: plan.version,
    kubernetesVersion: plan.kubernetesVersion,
    manifest: plan.source,
    dryRun: opts.dryRun,
    snapshotClass: plan.snapshotClass.metadata.name,
    ...(plan.csiVersion ? { csiVersion: plan.csiVersion } : {}),
  };
  if (opts.dryRun === 'client') return clientDryRun(kube, base, snapshotObjects(plan), plan.prune);
  const crds = plan.objects.filter((o) => o.kind === 'CustomResourceDefinition');
  const rest = plan.objects.filter((o) => o.kind !== 'CustomResourceDefinition');
  const applied: AppliedObject[] = [];
  const apply = (objects: KubeObject[], title: string) =>
    progress.step(title, async (update) => {
      const results = await kube.apply(objects, {
        force: opts.force,
        dryRun,
        onApplied: (r) => update(`${r.kind} ${r.name} ${r.action}`),
      });
      applied.push(...results.map(appliedObject));
    });

  if (crds.length > 0) {
    await apply(crds, `Apply ${crds.length} CRDs`);
    if (!dryRun)
      await progress.step('Wait for the CRDs to be established', () => waitEstablished(kube, crds, deadline));
  }
  if (rest.length > 0) await apply(rest, `Apply the snapshot-controller (${rest.length} objects)`);
  // Under a server dry run a class of a CRD not yet created cannot be validated.
  const crdsServed =
    !dryRun || crds.every((c) => applied.some((a) => a.name === c.metadata.name && a.action === 'unchanged'));
  if (crdsServed) await apply([plan.snapshotClass], `Apply VolumeSnapshotClass ${plan.snapshotClass.metadata.name}`);
  else
    applied.push({
      apiVersion: SNAPSHOT_API_VERSION,
      kind: 'VolumeSnapshotClass',
      name: plan.snapshotClass.metadata.name,
      action: 'would apply',
    });
  if (dryRun) {
    return {
      ...base,
      objects: applied,
      pruned: await applyPrune(kube, plan.prune, true),
      rollouts: [],
      verification: null,
    };
  }

  const rollouts: Rollout[] = [];
  if (!plan.foreign) {
    rollouts.push(
      await progress.step('Wait for the snapshot-controller', (update) =>
        timedRollout(kube, 'Deployment', SNAPSHOT_CONTROLLER, deadline, update),
      ),
    );
  }
  const verification = await progress.step(
    `Verify the ${SNAPSHOTTER_SIDECAR} sidecar of the CSI controller`,
    async () => verify(kube, plan, deadline),
  );
  const result: InstallSnapshotsResult = { ...base, objects: applied, pruned: [], rollouts, verification };
  if (plan.prune.length === 0 || snapshotsVerificationError(result)) return result;
  const pruned = await progress.step(`Prune ${plan.prune.length} objects of the earlier release`, () =>
    applyPrune(kube, plan.prune, false),
  );
  return { ...result, pruned };
}

async function waitEstablished(kube: KubeClient, crds: KubeObject[], deadline: number): Promise<void> {
  const { waitFor } = await import('../kube/wait.js');
  type Crd = KubernetesObject & { status?: { conditions?: { type: string; status: string }[] } };
  for (const crd of crds) {
    await waitFor<Crd>(
      kube,
      { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: crd.metadata.name },
      (c) =>
        c?.status?.conditions?.some((x) => x.type === 'Established' && x.status === 'True')
          ? { done: true }
          : { done: false, missing: 'not established yet' },
      { timeoutMs: Math.max(1, deadline - Date.now()) },
    );
  }
}

/** The class is there and every running CSI controller pod's csi-snapshotter container is ready. */
async function verify(kube: KubeClient, plan: InstallSnapshotsPlan, deadline: number): Promise<SnapshotsVerification> {
  const cls = await kube.find({
    apiVersion: SNAPSHOT_API_VERSION,
    kind: 'VolumeSnapshotClass',
    name: plan.snapshotClass.metadata.name,
  });
  let sidecarReady = false;
  let running = 0;
  while (!sidecarReady && Date.now() < deadline && !kube.signal.aborted) {
    const list = await kube.list<
      KubernetesObject & { status?: { phase?: string; containerStatuses?: { name: string; ready: boolean }[] } }
    >('v1', 'Pod', { namespace: CSI_NAMESPACE, labelSelector: plan.csiPods });
    // Running pods only: a replica Pending for want of a node is the CSI install's concern, not the sidecar's.
    const statuses = list.items
      .filter((p) => p.status?.phase === 'Running')
      .map((p) => p.status?.containerStatuses?.find((s) => s.name === SNAPSHOTTER_SIDECAR));
    running = statuses.length;
    sidecarReady = running > 0 && statuses.every((s) => s?.ready === true);
    if (!sidecarReady) await new Promise((r) => setTimeout(r, 1000));
  }
  return {
    snapshotClass: cls !== undefined,
    sidecarReady,
    controllerPodsRunning: running,
    controller: plan.foreign ? 'foreign' : 'vk',
  };
}

/** The error for a verification that did not pass, if any. */
export function snapshotsVerificationError(result: InstallSnapshotsResult): VkError | undefined {
  const v = result.verification;
  if (!v || (v.snapshotClass && v.sidecarReady)) return undefined;
  if (!v.snapshotClass) return new VkError(`VolumeSnapshotClass ${result.snapshotClass} does not exist after apply`);
  if (v.controllerPodsRunning === 0) {
    return new VkError(`no pod of the CSI controller ${CSI_NAMESPACE}/${CSI_CONTROLLER.name} is running`, {
      hint: `check 'kubectl -n ${CSI_NAMESPACE} get pods' and 'vk doctor'`,
    });
  }
  return new VkError(`the CSI controller's ${SNAPSHOTTER_SIDECAR} sidecar is not ready in every running pod`, {
    hint: `check 'kubectl -n ${CSI_NAMESPACE} logs deploy/${CSI_CONTROLLER.name} -c ${SNAPSHOTTER_SIDECAR}'`,
  });
}

export const installSnapshotsStep: Step<InstallSnapshotsInput, InstallSnapshotsPlan, InstallSnapshotsResult> = {
  id: 'install-snapshots',
  title: 'Install volume snapshots',
  validate: validateSnapshotsInput,
  plan: (ctx, input, run) => planInstallSnapshots(ctx, { ...input, dryRun: run.dryRun }),
  describe: (plan) => ({
    ...describeInstallPlan({ version: plan.version, source: plan.source }, snapshotObjects(plan), plan.prune),
    ...(plan.foreign ? { foreignController: plan.foreign } : {}),
  }),
  apply: (ctx, plan, run) => applyInstallSnapshots(ctx, plan, run.progress),
  summary: installStepSummary,
  failure: snapshotsVerificationError,
};
