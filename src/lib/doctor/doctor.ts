// Step: `vk doctor`. Read-only checks of the vSphere side and the cluster,
// each ending pass / warn / fail / skip with the fix for what is wrong. The
// vCenter session and the kube client are opened once, concurrently; the
// checks then share them and what they read (nodes, VMs) and run in parallel.
// A connection that fails turns its dependent checks into `skip` with the
// reason instead of aborting the run.

import { UNINITIALIZED_TAINT, uninitializedNodes } from '../nodes/taint-nodes.js';
import type { V1DaemonSet, V1Deployment, V1Node, V1PersistentVolume, V1StorageClass } from '@kubernetes/client-node';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Context } from '../core/context.js';
import type { KubeClient } from '../kube/client.js';
import type { VsphereSession } from '../vsphere/connect.js';
import type { DatacenterRef } from '../vsphere/inventory.js';
import { DEFAULT_CLASS_ANNOTATION, isDefaultStorageClass } from '../kube/storage-class.js';
import * as drivers from './drivers.js';
import * as drift from './drift.js';
import { matchNodes, readHosts, readVms, type NodeHost, type NodeMatch } from '../vms/node-vms.js';
import * as requirements from './vsphere-requirements.js';
import { nodeAddressesCheck } from '../vms/node-addresses.js';
import { zoneTagsDoctorCheck } from '../topology/topology.js';
import { vsanFileServicesCheck } from '../storage/file-services.js';
export { matchNodes, providerUuid, type NodeMatch } from '../vms/node-vms.js';

import {
  check,
  csiPrivilegesTitle,
  firstOf,
  NEEDS_KUBE,
  NEEDS_MATCHED_VMS,
  NEEDS_NODE_VMS,
  NODE_VM_REQUIREMENTS,
  skipped,
  VSPHERE_REQUIREMENTS,
  type CheckId,
  type CheckResult,
  type CheckStatus,
} from './checks.js';
import { MISSING_PRIVILEGES_SHOWN } from '../roles/privileges.js';
import * as names from '../drivers/names.js';
import { snapshotsCheck } from '../snapshots/doctor.js';
export type { CheckResult, CheckStatus } from './checks.js';

export interface DoctorReport {
  checks: CheckResult[];
  summary: Record<CheckStatus, number>;
}

const UNINITIALIZED_TAINT_KEY = UNINITIALIZED_TAINT.key;
export { CSI_DRIVER_NAME as CSI_DRIVER, IN_TREE_PROVISIONER } from '../drivers/names.js';
const CSI_DRIVER = names.CSI_DRIVER_NAME;
const IN_TREE_PROVISIONER = names.IN_TREE_PROVISIONER;
const CPI_DAEMONSET = names.CPI_DAEMONSET.name;
const CSI_CONTROLLER = names.CSI_CONTROLLER.name;
const CSI_NODE = names.CSI_NODE.name;
const CSI_NAMESPACE = names.CSI_NAMESPACE;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0]!;

/** The release tag of an image reference: `…/cloud-provider-vsphere:v1.31.1` → v1.31.1. */
export function imageTag(image: string | undefined): string | undefined {
  if (!image) return undefined;
  const noDigest = image.split('@')[0]!;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(colon + 1) : undefined;
}

export function summarize(checks: CheckResult[]): Record<CheckStatus, number> {
  const s: Record<CheckStatus, number> = { pass: 0, warn: 0, fail: 0, skip: 0 };
  for (const c of checks) s[c.status]++;
  return s;
}

/** `12 checks: 10 pass, 1 warn, 1 fail` (statuses with no checks left out). */
export function summaryLine(report: DoctorReport): string {
  const parts = (['pass', 'warn', 'fail', 'skip'] as const)
    .filter((s) => report.summary[s] > 0)
    .map((s) => `${report.summary[s]} ${s}`);
  return `${plural(report.checks.length, 'check')}: ${parts.join(', ')}`;
}

type Outcome<T> = { ok: true; value: T } | { ok: false; reason: string };
async function settle<T>(p: Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await p };
  } catch (err) {
    return { ok: false, reason: errorText(err) };
  }
}

/** Runs every check; never throws for what it finds, only reports. */
export interface DoctorOptions {
  /** With --csi-user: check the CSI user's privileges, as `vk roles check --csi` does. */
  csiUser?: string;
  /** The node VMs' folder (for the CSI user's VM privileges). */
  folder?: string;
}

export async function runDoctor(ctx: Context, opts: DoctorOptions = {}): Promise<DoctorReport> {
  const [vc, kube] = await Promise.all([settle(ctx.vsphere()), settle(ctx.kube())]);
  const client = kube.ok ? kube.value : undefined;
  const session = vc.ok ? vc.value : undefined;
  const kubeReads = client
    ? settle(
        Promise.all([
          client.version(),
          client
            .list<V1Node>('v1', 'Node')
            .then((l) => l.items.sort((a, b) => a.metadata!.name!.localeCompare(b.metadata!.name!))),
        ]),
      )
    : Promise.resolve(kube as Outcome<never>);
  const vmReads = session ? settle(readVms(session)) : Promise.resolve(vc as Outcome<never>);
  const hostReads = session ? settle(readHosts(session)) : undefined;
  // Independent of the nodes and VMs: started now, awaited by the checks that need them.
  const classReads = client
    ? settle(client.list<V1StorageClass>('storage.k8s.io/v1', 'StorageClass').then((l) => l.items))
    : undefined;
  const configReads = client ? drivers.readDriverConfigs(client) : undefined;
  const datacenterReads = session ? settle(session.datacenters()) : undefined;
  const certRead = session ? drivers.readServerCert(session) : undefined;
  const [kr, vms] = await Promise.all([kubeReads, vmReads]);

  const checks: Array<Promise<CheckResult[]>> = [];
  checks.push(Promise.resolve([vcenterCheck(vc)]));
  checks.push(Promise.resolve([kubernetesCheck(kube.ok ? kr : kube)]));
  checks.push(datacentersChecks(session, datacenterReads, configReads));

  let matches: NodeMatch[] | undefined;
  if (!kr.ok || !vms.ok) {
    const reason = !kr.ok ? 'Kubernetes not reachable' : !vc.ok ? 'vCenter not reachable' : undefined;
    checks.push(
      Promise.resolve(
        reason
          ? skipped(NEEDS_NODE_VMS, reason)
          : [
              // Connected, but the VMs could not be read (e.g. a wrong --datacenter): that is a failure.
              check(
                'nodes-vms',
                'fail',
                `cannot read the VMs: ${(vms as { reason: string }).reason}`,
                'check --datacenter and that the user may read the VMs',
              ),
              ...skipped(NEEDS_MATCHED_VMS, 'the VMs could not be read'),
            ],
      ),
    );
  } else {
    matches = matchNodes(kr.value[1], vms.value);
    checks.push(
      Promise.resolve([nodesVmsCheck(matches), diskUuidCheck(matches), nodeAddressesCheck(kr.value[1], matches)]),
    );
  }
  checks.push(vsphereRequirementChecks(session, kr.ok ? kr.value[0].gitVersion : undefined, matches, hostReads));
  checks.push(zoneTagsDoctorCheck({ session, matches, configs: configReads }).then((c) => [c]));
  checks.push(
    vsanFileServicesCheck({ client: kr.ok ? client : undefined, session, matches, classReads, csiConfig: configReads }),
  );

  if (!client || !kr.ok) {
    checks.push(Promise.resolve(skipped(NEEDS_KUBE, 'Kubernetes not reachable')));
  } else {
    const [version, nodes] = kr.value;
    checks.push(Promise.resolve([nodesInitializedCheck(nodes)]));
    checks.push(guard('cpi', cpiCheck(client, version.gitVersion)));
    checks.push(guard('csi', csiCheck(client, nodes)));
    checks.push(storageChecks(client, classReads!, session, matches, nodes));
    checks.push(driverConfigChecks(client, session, configReads!, certRead));
    checks.push(drift.driftChecks(client, version.gitVersion, ctx.env));
    checks.push(snapshotsCheck(client).then((c) => [c]));
  }
  if (opts.csiUser !== undefined) {
    const title = csiPrivilegesTitle(opts.csiUser);
    checks.push(
      vc.ok
        ? guard('csi-privileges', csiPrivilegesCheck(ctx, opts.csiUser, opts.folder, title), title)
        : Promise.resolve([check('csi-privileges', 'skip', 'vCenter not reachable', undefined, title)]),
    );
  }
  const all = (await Promise.all(checks)).flat();
  return { checks: all, summary: summarize(all) };
}

/** vSphere versions, virtual hardware and VMware Tools of the node VMs (vsphere-requirements.ts). */
async function vsphereRequirementChecks(
  session: VsphereSession | undefined,
  k8sVersion: string | undefined,
  matches: NodeMatch[] | undefined,
  hostReads: Promise<Outcome<Map<string, NodeHost>>> | undefined,
): Promise<CheckResult[]> {
  if (!session || !hostReads) return skipped(VSPHERE_REQUIREMENTS, 'vCenter not reachable');
  const hosts = await hostReads;
  const versionCheck = requirements.vsphereVersionCheck({
    vcenter: session.about,
    release: requirements.tableCsiRelease(k8sVersion),
    matches: matches ?? [],
    hosts: hosts.ok ? hosts.value : new Map(),
  });
  if (!matches) return [versionCheck, ...skipped(NODE_VM_REQUIREMENTS, 'the nodes and their VMs could not be read')];
  return [versionCheck, requirements.vmHardwareCheck(matches), requirements.vmwareToolsCheck(matches)];
}

async function datacentersChecks(
  session: VsphereSession | undefined,
  datacenterReads: Promise<Outcome<DatacenterRef[]>> | undefined,
  configReads: Promise<drivers.DriverConfigs> | undefined,
): Promise<CheckResult[]> {
  if (!session || !datacenterReads) return skipped(['datacenters'], 'vCenter not reachable');
  const [dcs, configs] = await Promise.all([datacenterReads, configReads]);
  if (!dcs.ok) return [check('datacenters', 'fail', `cannot read: ${dcs.reason}`)];
  return [drivers.datacentersCheck(session, dcs.value, configs)];
}

/** csi-user, cluster-id and tls-trust: what the drivers' configs say. */
async function driverConfigChecks(
  client: KubeClient,
  session: VsphereSession | undefined,
  configReads: Promise<drivers.DriverConfigs>,
  certRead: Promise<drivers.ServerCert> | undefined,
): Promise<CheckResult[]> {
  const configs = await configReads;
  const { isGenericClusterId, clusterIdFromNamespaceUid } = await import('../drivers/csi/cluster-id.js');
  const csi = configs.csi;
  let suggested: string | undefined;
  if (csi.ok && csi.value?.clusterId && isGenericClusterId(csi.value.clusterId)) {
    // The id vk generate would write; left out if the namespace cannot be read.
    const ns = await settle(client.get<KubernetesObject>({ apiVersion: 'v1', kind: 'Namespace', name: 'kube-system' }));
    if (ns.ok && ns.value.metadata?.uid) suggested = clusterIdFromNamespaceUid(ns.value.metadata.uid);
  }
  return [
    drivers.csiUserCheck(csi, drivers.domainOf(session?.userName)),
    drivers.clusterIdCheck(csi, isGenericClusterId, suggested),
    session
      ? drivers.tlsTrustCheck(session, configs, await certRead)
      : check('tls-trust', 'skip', 'vCenter not reachable'),
  ];
}

/** A check whose reads fail reports `fail` with the reason rather than aborting the others. */
async function guard(id: CheckId, p: Promise<CheckResult>, title?: string): Promise<CheckResult[]> {
  try {
    return [await p];
  } catch (err) {
    return [check(id, 'fail', `cannot read: ${errorText(err)}`, undefined, title)];
  }
}

function vcenterCheck(vc: Outcome<VsphereSession>): CheckResult {
  if (!vc.ok) {
    return check(
      'vcenter',
      'fail',
      vc.reason,
      'check --url/--username/--password (or GOVC_URL, GOVC_USERNAME, GOVC_PASSWORD) and the TLS flags',
    );
  }
  const s = vc.value;
  return check(
    'vcenter',
    'pass',
    `${s.about.fullName || `${s.about.name} ${s.about.version}`} at ${s.client.hostPort} as ${s.userName}`,
  );
}

function kubernetesCheck(kr: Outcome<[{ gitVersion: string }, V1Node[]]> | Outcome<KubeClient>): CheckResult {
  if (!kr.ok) {
    return check(
      'kubernetes',
      'fail',
      kr.reason,
      'check --kubeconfig/--context (or KUBECONFIG) and that the API server is up',
    );
  }
  const [version, nodes] = kr.value as [{ gitVersion: string }, V1Node[]];
  return check(
    'kubernetes',
    nodes.length ? 'pass' : 'fail',
    `${version.gitVersion}, ${plural(nodes.length, 'node')}`,
    nodes.length ? undefined : 'join nodes to the cluster first',
  );
}

function nodesVmsCheck(matches: NodeMatch[]): CheckResult {
  const missing = matches.filter((m) => !m.vm).map((m) => m.node);
  if (missing.length) {
    return check(
      'nodes-vms',
      'fail',
      `${plural(missing.length, 'node')} match no VM by UUID or name: ${firstOf(missing)}`,
      "the CPI finds a node's VM by its system UUID or by name: rename the VM (or node) to match, or check --datacenter",
    );
  }
  const byName = matches.filter((m) => m.by === 'name').length;
  return check(
    'nodes-vms',
    'pass',
    `${plural(matches.length, 'node')} matched` + (byName ? ` (${byName} by name only)` : ''),
  );
}

export function diskUuidCheck(matches: NodeMatch[]): CheckResult {
  const unreadable = matches.filter((m) => m.vm?.unreadable).map((m) => m.vm!);
  if (unreadable.length) {
    const more = unreadable.length > 1 ? ` (and ${plural(unreadable.length - 1, 'more VM')})` : '';
    return check(
      'disk-uuid',
      'fail',
      `${unreadable[0]!.unreadable}${more}`,
      'grant the privilege to the user vk runs as, or run vk doctor as a user that has it',
    );
  }
  const bad = matches.filter((m) => m.vm && m.vm.enableUUID?.toUpperCase() !== 'TRUE').map((m) => m.vm!.name);
  const checked = matches.filter((m) => m.vm).length;
  if (bad.length) {
    return check(
      'disk-uuid',
      'fail',
      `${plural(bad.length, 'VM')} without disk.enableUUID=TRUE: ${firstOf(bad)}`,
      'vk prepare-vms FOLDER, then power cycle those VMs',
    );
  }
  return check('disk-uuid', 'pass', `set on ${plural(checked, 'VM')}`);
}

function nodesInitializedCheck(nodes: V1Node[]): CheckResult {
  const tainted = nodes
    .filter((n) => (n.spec?.taints ?? []).some((t) => t.key === UNINITIALIZED_TAINT_KEY))
    .map((n) => n.metadata!.name!);
  const noId = uninitializedNodes(nodes);
  if (tainted.length || noId.length) {
    const parts = [
      ...(tainted.length ? [`still tainted ${UNINITIALIZED_TAINT_KEY}: ${firstOf(tainted)}`] : []),
      ...(noId.length ? [`no providerID: ${firstOf(noId)}`] : []),
    ];
    return check(
      'nodes-initialized',
      'fail',
      parts.join('; '),
      'vk install cpi (if installed, see its logs: kubectl -n kube-system logs ds/vsphere-cloud-controller-manager)',
    );
  }
  return check('nodes-initialized', 'pass', `${plural(nodes.length, 'node')} with a providerID`);
}

const dsReady = (ds: V1DaemonSet) => {
  const want = ds.status?.desiredNumberScheduled ?? 0;
  const ready = ds.status?.numberReady ?? 0;
  return { want, ready, ok: want > 0 && ready >= want };
};

async function cpiCheck(client: KubeClient, k8sVersion: string): Promise<CheckResult> {
  const ds = await client.find<V1DaemonSet>({
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    name: CPI_DAEMONSET,
    namespace: 'kube-system',
  });
  if (!ds) {
    return check('cpi', 'fail', `DaemonSet kube-system/${CPI_DAEMONSET} not found`, 'vk install cpi');
  }
  const { want, ready, ok } = dsReady(ds);
  const image = ds.spec?.template?.spec?.containers?.[0]?.image;
  const version = imageTag(image);
  const state = `${ready}/${want} ready`;
  if (!ok) {
    return check(
      'cpi',
      'fail',
      `${version ?? 'unknown version'}, ${state}`,
      `kubectl -n kube-system describe ds/${CPI_DAEMONSET} (pods run on control-plane nodes only)`,
    );
  }
  const { resolveCpi } = await import('../drivers/manifests/compatibility.js');
  let supported = false;
  let expected = '';
  try {
    expected = resolveCpi(k8sVersion).version;
    supported = version !== undefined && resolveCpi(k8sVersion, { version }).supported;
  } catch {
    supported = false;
  }
  if (!supported) {
    return check(
      'cpi',
      'warn',
      `${version ?? image ?? 'unknown version'}, ${state}; not the CPI release for Kubernetes ${k8sVersion}`,
      expected ? `vk install cpi --version ${expected}` : 'vk install cpi with a release matching the cluster',
    );
  }
  return check('cpi', 'pass', `${version}, ${state}`);
}

async function csiCheck(client: KubeClient, nodes: V1Node[]): Promise<CheckResult> {
  const [deploy, ds, driver, csiNodes] = await Promise.all([
    client.find<V1Deployment>({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: CSI_CONTROLLER,
      namespace: CSI_NAMESPACE,
    }),
    client.find<V1DaemonSet>({ apiVersion: 'apps/v1', kind: 'DaemonSet', name: CSI_NODE, namespace: CSI_NAMESPACE }),
    client.find<KubernetesObject>({ apiVersion: 'storage.k8s.io/v1', kind: 'CSIDriver', name: CSI_DRIVER }),
    client.list<KubernetesObject & { spec?: { drivers?: Array<{ name: string }> } }>('storage.k8s.io/v1', 'CSINode'),
  ]);
  if (!deploy && !ds && !driver) {
    return check('csi', 'fail', 'not installed', 'vk install csi');
  }
  const problems: string[] = [];
  if (!deploy) problems.push(`Deployment ${CSI_NAMESPACE}/${CSI_CONTROLLER} not found`);
  else {
    const want = deploy.spec?.replicas ?? 1;
    const ready = deploy.status?.readyReplicas ?? 0;
    if (ready < want) problems.push(`controller ${ready}/${want} ready`);
  }
  if (!ds) problems.push(`DaemonSet ${CSI_NAMESPACE}/${CSI_NODE} not found`);
  else {
    const r = dsReady(ds);
    if (!r.ok) problems.push(`node plugin ${r.ready}/${r.want} ready`);
  }
  if (!driver) problems.push(`CSIDriver ${CSI_DRIVER} not registered`);
  const registered = new Set(
    csiNodes.items.filter((c) => c.spec?.drivers?.some((d) => d.name === CSI_DRIVER)).map((c) => c.metadata!.name!),
  );
  const unregistered = nodes.map((n) => n.metadata!.name!).filter((n) => !registered.has(n));
  if (unregistered.length) problems.push(`driver not registered on ${firstOf(unregistered)} (CSINode)`);
  if (problems.length) {
    return check(
      'csi',
      'fail',
      problems.join('; '),
      `vk install csi; then kubectl -n ${CSI_NAMESPACE} get pods and the logs of the failing ones`,
    );
  }
  return check(
    'csi',
    'pass',
    `controller ${deploy!.status?.readyReplicas}/${deploy!.spec?.replicas ?? 1} ready, registered on ${plural(registered.size, 'node')}`,
  );
}

async function storageChecks(
  client: KubeClient,
  classReads: Promise<Outcome<V1StorageClass[]>>,
  session: VsphereSession | undefined,
  matches: NodeMatch[] | undefined,
  nodes: V1Node[],
): Promise<CheckResult[]> {
  const [classes, pvs] = await Promise.all([
    classReads,
    settle(client.list<V1PersistentVolume>('v1', 'PersistentVolume').then((l) => l.items)),
  ]);
  const cannot = (id: CheckId, reason: string) => check(id, 'fail', `cannot read: ${reason}`);
  if (!classes.ok) {
    return (['storageclass', 'storageclass-datastore', 'in-tree'] as const).map((id) => cannot(id, classes.reason));
  }
  return [
    defaultClassCheck(classes.value),
    await datastoreCheck(classes.value, session, matches, nodes),
    pvs.ok ? inTreeCheck(classes.value, pvs.value) : cannot('in-tree', pvs.reason),
  ];
}

/** The datastores and policies are read only when a CSI StorageClass names one. */
async function datastoreCheck(
  classes: V1StorageClass[],
  session: VsphereSession | undefined,
  matches: NodeMatch[] | undefined,
  nodes: V1Node[],
): Promise<CheckResult> {
  const wantsDatastores = drivers.needsDatastores(classes);
  const wantsPolicies = drivers.needsPolicies(classes);
  if (!session && (wantsDatastores || wantsPolicies))
    return check('storageclass-datastore', 'skip', 'vCenter not reachable');
  const [datastores, policies] = await Promise.all([
    wantsDatastores ? settle(drivers.readDatastores(session!)) : undefined,
    wantsPolicies ? settle(import('../vsphere/pbm.js').then((pbm) => pbm.listStoragePolicies(session!))) : undefined,
  ]);
  if (datastores && !datastores.ok)
    return check('storageclass-datastore', 'fail', `cannot read the datastores: ${datastores.reason}`);
  // A zoned class (allowedTopologies) needs its datastore only on the hosts of its zones' nodes.
  const labels = new Map(nodes.map((n) => [n.metadata!.name!, n.metadata?.labels ?? {}]));
  const nodeHosts = matches?.map((m) => ({ node: m.node, host: m.vm?.host, labels: labels.get(m.node) }));
  return drivers.storageClassDatastoreCheck(
    classes,
    datastores?.value,
    policies ? (policies.ok ? policies.value : policies.reason) : undefined,
    nodeHosts,
  );
}

export function defaultClassCheck(classes: V1StorageClass[]): CheckResult {
  const defaults = classes.filter(isDefaultStorageClass);
  if (defaults.length === 0) {
    return check(
      'storageclass',
      'fail',
      'no default StorageClass',
      'vk storageclass create NAME --datastore DATASTORE --default',
    );
  }
  const names = defaults.map((c) => c.metadata!.name!);
  const csi = defaults.filter((c) => c.provisioner === CSI_DRIVER);
  if (csi.length === 0) {
    return check(
      'storageclass',
      'fail',
      `default ${firstOf(names)} provisioned by ${defaults[0]!.provisioner}, not ${CSI_DRIVER}`,
      `create a StorageClass with provisioner ${CSI_DRIVER} and make it the default`,
    );
  }
  if (defaults.length > 1) {
    return check(
      'storageclass',
      'warn',
      `${defaults.length} default StorageClasses: ${firstOf(names)}`,
      `keep ${DEFAULT_CLASS_ANNOTATION}=true on one of them only`,
    );
  }
  return check('storageclass', 'pass', `${names[0]} (${CSI_DRIVER})`);
}

export function inTreeCheck(classes: V1StorageClass[], pvs: V1PersistentVolume[]): CheckResult {
  const scs = classes.filter((c) => c.provisioner === IN_TREE_PROVISIONER).map((c) => c.metadata!.name!);
  const vols = pvs.filter((p) => p.spec?.vsphereVolume).map((p) => p.metadata!.name!);
  if (scs.length || vols.length) {
    const parts = [
      ...(scs.length ? [`StorageClasses ${firstOf(scs)} use ${IN_TREE_PROVISIONER}`] : []),
      ...(vols.length ? [`${plural(vols.length, 'PV')} are in-tree vsphereVolume: ${firstOf(vols)}`] : []),
    ];
    return check(
      'in-tree',
      'warn',
      parts.join('; '),
      'the in-tree provider is removed from Kubernetes: with the CSI driver installed, enable CSI migration ' +
        '(csi-migration feature state in the CSI config) so existing volumes are served by csi.vsphere.vmware.com, ' +
        'and point new claims at a CSI StorageClass',
    );
  }
  return check('in-tree', 'pass', 'none');
}

/** The same check as `vk roles check --csi`, reported as one doctor item. */
async function csiPrivilegesCheck(
  ctx: Context,
  user: string,
  folder: string | undefined,
  title: string,
): Promise<CheckResult> {
  const { checkRoles } = await import('../roles/roles.js');
  const r = await checkRoles(ctx, { user, driver: 'csi', prefix: '', folder, datastores: [], fileVolumes: false });
  if (r.missing.length === 0) {
    return check('csi-privileges', 'pass', `${r.checked} privileges held`, undefined, title);
  }
  const shown = firstOf(
    r.missing.map((m) => `${m.privilege} on ${m.object}`),
    MISSING_PRIVILEGES_SHOWN,
  );
  return check('csi-privileges', 'fail', `missing ${shown}`, r.missing[0]!.fix, title);
}
