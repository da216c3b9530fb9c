// vSAN File Services for ReadWriteMany: the vSphere CSI driver creates
// ReadWriteMany (and ReadOnlyMany) volumes as vSAN file shares, which exist
// only where the cluster has vSAN File Services enabled. Read for the
// clusters of the ESXi hosts the node VMs run on, and used by the smoke
// test's RWX gate, `vk doctor`'s vsan-file-services check and the warning of
// `vk roles create|check --file-volumes`.

import type { V1Node, V1PersistentVolumeClaim, V1StorageClass } from '@kubernetes/client-node';
import { InterruptedError, VkError } from '../core/errors.js';
import type { Context } from '../core/context.js';
import type { KubeClient } from '../kube/client.js';
import type { DriverConfig } from '../drivers/driver-config.js';
import type { VsphereSession } from '../vsphere/connect.js';
import type { ClusterHosts } from '../vsphere/vsan.js';
import type { MoRef } from '../vsphere/types.js';
import { CSI_DRIVER_NAME } from '../drivers/names.js';
import { isDefaultStorageClass } from '../kube/storage-class.js';
import { check, firstOf, type CheckResult } from '../doctor/checks.js';
import type { NodeMatch } from '../vms/node-vms.js';

export const FILE_SERVICES_FIX =
  'enable vSAN File Services in the vSphere Client: Cluster > Configure > vSAN > Services > File Service';

/** One cluster's file service state: enabled, disabled, or unknown (with why). */
export type ClusterFileServices =
  | { cluster: string; state: 'enabled'; esa?: boolean }
  | { cluster: string; state: 'disabled'; vsan?: boolean }
  | { cluster: string; state: 'unknown'; reason: string };

export interface FileServicesReport {
  /** Set when nothing could be checked (no vSAN API, no node VM in a cluster): the reason. */
  unchecked?: string;
  clusters: ClusterFileServices[];
  /** Node VMs whose host is in no cluster (a standalone host has no vSAN). */
  outside: string[];
}

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0]!;

/** The clusters the matched node VMs run on (each once, by name), and the VMs on hosts outside any cluster. */
export function nodeClusters(
  matches: NodeMatch[],
  clusters: ClusterHosts[],
): { clusters: ClusterHosts[]; outside: string[] } {
  const byHost = new Map<string, ClusterHosts>();
  for (const c of clusters) for (const h of c.hosts) byHost.set(h, c);
  const used = new Set<ClusterHosts>();
  const outside: string[] = [];
  for (const m of matches) {
    if (!m.vm?.host) continue;
    const c = byHost.get(m.vm.host);
    if (c) used.add(c);
    else outside.push(m.vm.name);
  }
  return { clusters: [...used].sort((a, b) => a.name.localeCompare(b.name)), outside };
}

/** The file service state of each cluster, read concurrently; a missing vSAN API marks the report unchecked. */
export async function readFileServices(
  session: VsphereSession,
  clusters: Array<{ ref: MoRef; name: string }>,
): Promise<FileServicesReport> {
  const { readVsanClusterConfig, VsanUnavailableError } = await import('../vsphere/vsan.js');
  let unavailable: string | undefined;
  const states = await Promise.all(
    clusters.map(async (c): Promise<ClusterFileServices> => {
      try {
        const conf = await readVsanClusterConfig(session, c.ref);
        return conf.fileServices
          ? { cluster: c.name, state: 'enabled', ...(conf.esa ? { esa: true } : {}) }
          : { cluster: c.name, state: 'disabled', ...(conf.vsan === false ? { vsan: false } : {}) };
      } catch (err) {
        if (err instanceof InterruptedError) throw err;
        if (err instanceof VsanUnavailableError) unavailable ??= err.message;
        return { cluster: c.name, state: 'unknown', reason: errorText(err) };
      }
    }),
  );
  if (unavailable) return { unchecked: unavailable, clusters: [], outside: [] };
  return { clusters: states, outside: [] };
}

/** The node VMs' clusters and their file service state: the VMs and the clusters in one PropertyCollector call each. */
export async function readNodeFileServices(session: VsphereSession, nodes: V1Node[]): Promise<FileServicesReport> {
  const [{ listClusters }, { readVms, matchNodes }] = await Promise.all([
    import('../vsphere/vsan.js'),
    import('../vms/node-vms.js'),
  ]);
  const [vms, clusters] = await Promise.all([readVms(session), listClusters(session)]);
  return fileServicesOfMatches(session, matchNodes(nodes, vms), clusters);
}

async function fileServicesOfMatches(
  session: VsphereSession,
  matches: NodeMatch[],
  all: ClusterHosts[],
): Promise<FileServicesReport> {
  const { clusters, outside } = nodeClusters(matches, all);
  if (clusters.length === 0) {
    const why = matches.some((m) => m.vm) ? "no node VM's host is in a cluster" : 'no node matched a VM';
    return { unchecked: why, clusters: [], outside };
  }
  return { ...(await readFileServices(session, clusters)), outside };
}

const names = (cs: ClusterFileServices[]) => firstOf(cs.map((c) => c.cluster));
const clusterWord = (n: number) => (n === 1 ? 'cluster' : 'clusters');

/**
 * Before a ReadWriteMany claim of the CSI driver (vk smoke-test
 * --access-mode RWX): refuses when a node cluster has vSAN File Services off; warns and goes on when it
 * cannot be checked. Login and TLS faults are the user's to fix and fail.
 */
export async function assertFileServicesForRwx(
  ctx: Context,
  plan: { accessMode: string; provisioner: string },
  opts: { url?: string },
): Promise<void> {
  if (plan.accessMode !== 'RWX' || plan.provisioner !== CSI_DRIVER_NAME) return;
  const cannot = (why: string) => ctx.log.warn(`cannot check vSAN File Services: ${why}; going on`);
  const { vcenterConfigured } = await import('../settings/vsphere.js');
  if (!vcenterConfigured(opts.url, ctx.env)) {
    cannot('no vCenter configured (pass --url or set GOVC_URL)');
    return;
  }
  const { ConnectionError, TlsVerificationError } = await import('../vsphere/soap/faults.js');
  let session: VsphereSession;
  try {
    session = await ctx.vsphere();
  } catch (err) {
    if (err instanceof ConnectionError && !(err instanceof TlsVerificationError)) {
      cannot(err.message);
      return;
    }
    throw err;
  }
  const kube = await ctx.kube();
  const nodes = (await kube.list<V1Node>('v1', 'Node')).items;
  const report = await readNodeFileServices(session, nodes);
  if (report.unchecked) {
    cannot(report.unchecked);
    return;
  }
  const disabled = report.clusters.filter((c) => c.state === 'disabled');
  if (disabled.length) {
    throw new VkError(
      `vSAN File Services is not enabled on ${clusterWord(disabled.length)} ${names(disabled)} of the nodes' hosts: ReadWriteMany volumes cannot be created there`,
      { hint: FILE_SERVICES_FIX },
    );
  }
  for (const c of report.clusters) if (c.state === 'unknown') cannot(`cluster ${c.cluster}: ${c.reason}`);
}

/**
 * After `vk roles create|check --file-volumes`: a warning when no cluster the
 * file-service permissions went on has vSAN File Services enabled (the
 * permissions are right either way; the volumes would not be).
 */
export async function warnWithoutFileServices(
  ctx: Context,
  session: VsphereSession,
  clusters: Array<{ ref: MoRef; path: string }>,
): Promise<void> {
  if (clusters.length === 0) return;
  const named = clusters.map((c) => ({ ref: c.ref, name: c.path.split('/').at(-1) || c.path }));
  const report = await readFileServices(session, named);
  if (report.unchecked) {
    ctx.log.warn(`cannot check vSAN File Services: ${report.unchecked}`);
  } else if (!report.clusters.some((c) => c.state === 'enabled')) {
    const unknown = report.clusters.filter((c) => c.state === 'unknown');
    if (unknown.length === report.clusters.length) {
      ctx.log.warn(`cannot check vSAN File Services: ${unknown[0]!.state === 'unknown' ? unknown[0]!.reason : ''}`);
    } else {
      ctx.log.warn(
        `vSAN File Services is not enabled on ${clusterWord(report.clusters.length)} ${names(report.clusters)}: ReadWriteMany volumes will not provision until it is; ${FILE_SERVICES_FIX}`,
      );
    }
  }
}

const MANY = new Set(['ReadWriteMany', 'ReadOnlyMany']);
const PROVISIONER_ANNOTATIONS = [
  'volume.kubernetes.io/storage-provisioner',
  'volume.beta.kubernetes.io/storage-provisioner',
];

/**
 * Why the cluster uses vSphere file volumes (empty: it does not): a claim of
 * the CSI driver with ReadWriteMany or ReadOnlyMany on a filesystem volume,
 * or a CSI config that names file-share targets
 * (targetvSANFileShareClusters / targetvSANFileShareDatastoreURLs). A CSI
 * StorageClass alone says nothing: the same class serves block and file
 * volumes, the access mode of each claim decides.
 */
export function fileVolumeUse(
  classes: V1StorageClass[],
  claims: V1PersistentVolumeClaim[],
  csi: DriverConfig | undefined,
): string[] {
  const csiClasses = new Set(classes.filter((c) => c.provisioner === CSI_DRIVER_NAME).map((c) => c.metadata!.name!));
  const defaultIsCsi = classes.filter(isDefaultStorageClass).some((c) => c.provisioner === CSI_DRIVER_NAME);
  const ofCsi = (pvc: V1PersistentVolumeClaim) => {
    const annotations = pvc.metadata?.annotations ?? {};
    if (PROVISIONER_ANNOTATIONS.some((a) => annotations[a] === CSI_DRIVER_NAME)) return true;
    const sc = pvc.spec?.storageClassName;
    return sc === undefined || sc === null ? defaultIsCsi : csiClasses.has(sc);
  };
  const shared = claims
    .filter((pvc) => pvc.spec?.volumeMode !== 'Block')
    .filter((pvc) => (pvc.spec?.accessModes ?? []).some((m) => MANY.has(m)))
    .filter(ofCsi)
    .map((pvc) => `${pvc.metadata?.namespace}/${pvc.metadata?.name}`);
  const reasons: string[] = [];
  if (shared.length) {
    reasons.push(
      `${shared.length} ReadWriteMany/ReadOnlyMany ${shared.length === 1 ? 'claim' : 'claims'} (${firstOf(shared, 3)})`,
    );
  }
  const keys = [
    ...(csi?.vcenters.some((v) => v.fileShareClusters?.length) ? ['targetvSANFileShareClusters'] : []),
    ...(csi?.vcenters.some((v) => v.fileShareDatastoreUrls?.length) ? ['targetvSANFileShareDatastoreURLs'] : []),
  ];
  if (keys.length) reasons.push(`the CSI config sets ${keys.join(' and ')}`);
  return reasons;
}

/** The doctor check from what was read: `uses` (fileVolumeUse) and the node clusters' report. */
export function fileServicesCheck(uses: string[], report: FileServicesReport): CheckResult {
  const id = 'vsan-file-services';
  const why = `used by ${uses.join('; ')}`;
  if (report.unchecked) return check(id, 'warn', `cannot be checked: ${report.unchecked}`);
  const outside = report.outside.length ? `; not in a cluster: ${firstOf(report.outside)}` : '';
  const disabled = report.clusters.filter((c) => c.state === 'disabled');
  const unknown = report.clusters.filter((c) => c.state === 'unknown');
  const enabled = report.clusters.filter((c) => c.state === 'enabled');
  if (disabled.length) {
    const noVsan = disabled.filter((c) => c.state === 'disabled' && c.vsan === false);
    return check(
      id,
      'fail',
      `not enabled on ${clusterWord(disabled.length)} ${names(disabled)}` +
        (noVsan.length ? ` (vSAN itself is off on ${names(noVsan)})` : '') +
        (enabled.length ? `; enabled on ${names(enabled)}` : '') +
        `; ${why}${outside}`,
      FILE_SERVICES_FIX,
    );
  }
  if (unknown.length) {
    const first = unknown[0]!;
    return check(
      id,
      'warn',
      `cannot be checked on ${names(unknown)}: ${first.state === 'unknown' ? first.reason : ''}`,
    );
  }
  const esa = enabled.filter((c) => c.state === 'enabled' && c.esa);
  return check(
    id,
    'pass',
    `enabled on ${clusterWord(enabled.length)} ${names(enabled)}${esa.length ? ` (vSAN ESA: ${names(esa)})` : ''}; ${why}${outside}`,
  );
}

type Outcome<T> = { ok: true; value: T } | { ok: false; reason: string };

/** What `vk doctor` has read that this check uses; unset when that connection or read failed. */
export interface FileServicesInputs {
  client?: KubeClient;
  session?: VsphereSession;
  matches?: NodeMatch[];
  classReads?: Promise<Outcome<V1StorageClass[]>>;
  csiConfig?: Promise<{ csi: { ok: true; value: DriverConfig | undefined } | { ok: false; reason: string } }>;
}

/**
 * `vk doctor`'s vsan-file-services: skipped unless the cluster uses file
 * volumes (fileVolumeUse); then pass/fail per node cluster, warn when the
 * vSAN API is not there. Never throws.
 */
export async function vsanFileServicesCheck(inputs: FileServicesInputs): Promise<CheckResult[]> {
  const id = 'vsan-file-services';
  const skip = (detail: string): CheckResult[] => [check(id, 'skip', detail)];
  if (!inputs.client || !inputs.classReads) return skip('Kubernetes not reachable');
  try {
    const [classes, claims, configs] = await Promise.all([
      inputs.classReads,
      inputs.client.list<V1PersistentVolumeClaim>('v1', 'PersistentVolumeClaim').then((l) => l.items),
      inputs.csiConfig,
    ]);
    if (!classes.ok) return [check(id, 'fail', `cannot read: ${classes.reason}`)];
    const uses = fileVolumeUse(classes.value, claims, configs?.csi.ok ? configs.csi.value : undefined);
    if (uses.length === 0) {
      return skip('no ReadWriteMany/ReadOnlyMany claims of the CSI driver and no file-share targets in its config');
    }
    if (!inputs.session) return skip('vCenter not reachable');
    if (!inputs.matches) return skip('the nodes and their VMs could not be read');
    const { listClusters } = await import('../vsphere/vsan.js');
    const report = await fileServicesOfMatches(inputs.session, inputs.matches, await listClusters(inputs.session));
    return [fileServicesCheck(uses, report)];
  } catch (err) {
    if (err instanceof InterruptedError) throw err;
    return [check(id, 'fail', `cannot read: ${errorText(err)}`)];
  }
}
