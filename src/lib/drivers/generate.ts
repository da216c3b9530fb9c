// The generate step: turns the admin session's settings and the driver
// options into the CPI / CSI configuration objects. `planCpi`/`planCsi` are
// read-only (they may list datacenters, read the kube-system UID and log in
// once with the drivers' credentials to check them); `applyGenerated` writes
// the objects with server-side apply. Everything that needs vCenter or the
// cluster goes through GenerateDeps: generateDeps() builds them from the
// command's one session and kube client, and tests supply their own.

import type { KubernetesObject } from '@kubernetes/client-node';
import type { Context } from '../core/context.js';
import { UsageError, VkError } from '../core/errors.js';
import type { Logger } from '../cli/logger.js';
import type { Secret } from '../core/secret.js';
import { clusterIdFromNamespaceUid } from './csi/cluster-id.js';
import { CPI_NODE_OPTIONS, generateCpiObjects, type CpiConfigInput, type CpiNodeAddresses } from './cpi/config.js';
import { generateCsiObjects, type CsiConfigInput, type NetPermission } from './csi/config.js';
import { newestCsiVersion } from './csi/config-keys.js';
import { defaultCsiVersion } from './manifests/compatibility.js';
import { parseVcenterUrl } from '../settings/vcenter-url.js';
import { closest } from '../core/suggest.js';
import { readCaBundle, type CaBundle } from './ca-bundle.js';
import { revealObjects, type GeneratedObject, type RevealedObject } from './config-objects.js';
import type { VsphereSettings } from '../settings/vsphere.js';
import { firstOf } from '../doctor/checks.js';
import { MISSING_PRIVILEGES_SHOWN } from '../roles/privileges.js';

export type ApplyAction = 'created' | 'updated' | 'unchanged';

export interface ApplyResult {
  kind: string;
  namespace: string;
  name: string;
  action: ApplyAction;
}

/** What the step needs from vCenter and Kubernetes. */
export interface GenerateDeps {
  /** Names of every datacenter the admin session sees. */
  listDatacenters(): Promise<string[]>;
  /** metadata.uid of the kube-system namespace. */
  kubeSystemUid(): Promise<string>;
  /**
   * The cluster's Kubernetes gitVersion, to pick the CSI release the config
   * is for; without it (or when it cannot be read) the table's newest.
   */
  kubernetesVersion?(): Promise<string>;
  /** Logs in once with the given credentials and logs out; throws when they do not work. */
  verifyLogin(username: string, password: Secret): Promise<void>;
  /** Server-side apply of the objects (real values), in order. */
  applyObjects(objects: RevealedObject[]): Promise<ApplyResult[]>;
  /**
   * With --folder: the privileges the CSI user lacks (as `vk roles check --csi`
   * finds them), and the command that grants them.
   */
  missingCsiPrivileges?(username: string): Promise<{ missing: string[]; fix: string }>;
  /** Names of the networks (port groups included) of these datacenters, for the CPI's network options. */
  listNetworks?(datacenters: string[]): Promise<string[]>;
}

/**
 * What the step needs from vCenter and Kubernetes, from the command's one
 * session and kube client.
 */
export function generateDeps(ctx: Context, opts: { folder?: string } = {}): GenerateDeps {
  return {
    listDatacenters: async () => (await (await ctx.vsphere()).datacenters()).map((dc) => dc.name),
    listNetworks: async (datacenters) => {
      const session = await ctx.vsphere();
      const [{ retrieveFromContainer }, { datacenterArg }] = await Promise.all([
        import('../vsphere/property-collector.js'),
        import('../vsphere/inventory.js'),
      ]);
      const dcs = (await session.datacenters()).filter(
        (dc) => datacenters.includes(datacenterArg(dc)) || datacenters.includes(dc.name),
      );
      const lists = await Promise.all(
        dcs.map((dc) =>
          retrieveFromContainer<{ name: string }>(session.client, {
            container: dc.networkFolder,
            type: 'Network',
            paths: ['name'],
          }),
        ),
      );
      return [...new Set(lists.flat().map((n) => n.props.name ?? ''))].filter(Boolean).sort();
    },
    kubeSystemUid: async () => {
      const kube = await ctx.kube();
      const ns = await kube.get({ apiVersion: 'v1', kind: 'Namespace', name: 'kube-system' });
      const uid = ns.metadata?.uid;
      if (!uid) throw new VkError('the kube-system namespace has no UID', { hint: 'pass --cluster-id' });
      return uid;
    },
    kubernetesVersion: async () => (await (await ctx.kube()).version()).gitVersion,
    verifyLogin: async (username, password) => {
      const session = await ctx.vsphere();
      const { verifyLogin } = await import('../vsphere/verify-login.js');
      await verifyLogin(session.options, username, password, { log: ctx.log, signal: ctx.signal });
    },
    ...(opts.folder === undefined
      ? {}
      : {
          missingCsiPrivileges: async (username: string) => {
            const { checkRoles } = await import('../roles/roles.js');
            const r = await checkRoles(ctx, {
              user: username,
              driver: 'csi',
              prefix: '',
              folder: opts.folder,
              datastores: [],
              fileVolumes: false,
            });
            return { missing: r.missing.map((m) => `${m.privilege} on ${m.object}`), fix: r.missing[0]?.fix ?? '' };
          },
        }),
    applyObjects: async (objects) => {
      const kube = await ctx.kube();
      // On a fresh cluster vmware-system-csi does not exist yet (the CSI
      // manifest creates it); create what is missing so --apply works first.
      const namespaces = [...new Set(objects.map((o) => o.metadata.namespace).filter((n): n is string => !!n))];
      const missing: KubernetesObject[] = [];
      for (const name of namespaces) {
        if (!(await kube.find({ apiVersion: 'v1', kind: 'Namespace', name }, ctx.signal))) {
          missing.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
        }
      }
      const results = await kube.apply([...missing, ...(objects as unknown as KubernetesObject[])], {
        signal: ctx.signal,
      });
      return results.map((r) => ({
        kind: r.kind,
        namespace: r.namespace ?? '',
        name: r.name,
        action: r.action === 'configured' ? 'updated' : r.action,
      }));
    },
  };
}

export interface DriverCredentials {
  username?: string;
  password?: Secret;
}

interface CommonOptions {
  settings: VsphereSettings;
  /** --datacenter; empty: the session's datacenter, else every datacenter. */
  datacenters: string[];
  /** The drivers' own credentials; unset parts fall back to the admin session's. */
  credentials: DriverCredentials;
  /** Log in with explicitly given driver credentials before writing anything. */
  verify: boolean;
  /**
   * Check that the datacenters given exist in vCenter before writing anything
   * (install does: its session is open anyway; generate works offline).
   */
  checkDatacenters?: boolean;
  log: Logger;
  /**
   * Where the driver pod mounts its config object (install reads it from the
   * manifest); the --ca-file bundle's path in the config is under it.
   * Default: the release manifests' DRIVER_CONFIG_DIR.
   */
  configMountDir?: string;
}

/** The --ca-file bundle (read and checked here) for the config object, or undefined without --ca-file. */
async function caBundleOf(opts: CommonOptions): Promise<CaBundle | undefined> {
  return opts.settings.caFile ? readCaBundle(opts.settings.caFile, opts.configMountDir) : undefined;
}

export interface CpiOptions extends CommonOptions {
  secretName?: string;
  secretNamespace?: string;
  serverName?: string;
  region?: string;
  zone?: string;
  nodes?: CpiNodeAddresses;
}

export interface CsiOptions extends CommonOptions {
  version?: string;
  clusterId?: string;
  clusterDistribution?: string;
  fileShareClusters: string[];
  fileShareDatastoreUrls: string[];
  topologyCategories: string[];
  netPermissions: NetPermission[];
}

export interface GeneratePlan {
  objects: GeneratedObject[];
  /** CSI only: the driver release the config is written for. */
  version?: string;
  /** Every credential in the objects, to scrub from logs. */
  secrets: Secret[];
}

/** Placeholders for values only known after a request, so validation can run before any request. */
const pendingDatacenter = 'pending';
const pendingClusterId = 'pending';

const csiPrivilegesHint =
  'the CSI user needs a role with Datastore > Low level file operations, Host > Configuration > ' +
  'Storage partition configuration, Virtual machine > Change configuration > Add existing disk / ' +
  'Add or remove device, Cloud Native Storage > Searchable and Profile-driven storage > View, ' +
  'and Read-only on the datacenter, hosts and VMs (see "vSphere Roles and Privileges" in the CSI docs)';

function credentials(opts: CommonOptions, which: 'CPI' | 'CSI') {
  const explicit = opts.credentials.username !== undefined || opts.credentials.password !== undefined;
  const username = opts.credentials.username ?? opts.settings.username;
  const password = opts.credentials.password ?? opts.settings.password;
  if (!username) {
    const flag = `--${which.toLowerCase()}-username`;
    throw new UsageError(`no user name for the ${which}; set ${flag} or --username`);
  }
  // The administrator's password is no default for another account: the
  // driver would crash-loop on "Login failure" after everything was applied.
  if (opts.credentials.password === undefined && opts.credentials.username !== undefined) {
    const admin = opts.settings.username;
    if (admin === undefined || admin.toLowerCase() !== username.toLowerCase()) {
      const lower = which.toLowerCase();
      throw new UsageError(
        `no password for the ${which} user ${username}; set --${lower}-password or VK_${which}_PASSWORD`,
      );
    }
  }
  return { username, password, explicit };
}

function endpoint(settings: VsphereSettings) {
  if (!settings.url) throw new UsageError('no vCenter URL; set --url or GOVC_URL');
  const { host, port } = parseVcenterUrl(settings.url);
  return { host, port };
}

async function resolveDatacenters(opts: CommonOptions, deps: GenerateDeps): Promise<string[]> {
  const given =
    opts.datacenters.length > 0 ? opts.datacenters : opts.settings.datacenter ? [opts.settings.datacenter] : [];
  if (given.length > 0) {
    if (opts.checkDatacenters) await checkDatacentersExist(given, await deps.listDatacenters());
    return given;
  }
  const all = await deps.listDatacenters();
  if (all.length === 0) throw new VkError('vCenter has no datacenter', { hint: 'create one or set --datacenter' });
  opts.log.info(`using every datacenter: ${all.join(', ')}`);
  return all;
}

/** A driver configured for a datacenter vCenter does not have finds none of its nodes: refuse it up front. */
function checkDatacentersExist(given: string[], existing: string[]): void {
  // A datacenter in a folder may be given by its path; vCenter lists names.
  const missing = given.filter((dc) => !existing.includes(dc.split('/').pop()!));
  if (missing.length === 0) return;
  const suggestion = missing.length === 1 ? closest(missing[0]!, existing) : undefined;
  throw new UsageError(
    `datacenter ${missing.join(', ')} not found in vCenter (it has ${existing.join(', ') || 'none'})` +
      (suggestion ? `; did you mean --datacenter ${suggestion}?` : '; set --datacenter to one of them'),
  );
}

/** A network name the CPI cannot find on any NIC leaves every node without that address: refuse it up front. */
async function checkNetworksExist(
  nodes: CpiNodeAddresses | undefined,
  datacenters: string[],
  deps: GenerateDeps,
): Promise<void> {
  const wanted = (['internalVmNetworkName', 'externalVmNetworkName'] as const).filter((k) => nodes?.[k] !== undefined);
  if (wanted.length === 0 || !deps.listNetworks) return;
  const existing = await deps.listNetworks(datacenters);
  for (const key of wanted) {
    const name = nodes![key]!;
    // The CPI compares network names case-insensitively (strings.EqualFold).
    if (existing.some((n) => n.toLowerCase() === name.toLowerCase())) continue;
    const near = closest(name, existing);
    throw new UsageError(
      `${CPI_NODE_OPTIONS[key]} "${name}": no such network in ${datacenters.join(', ')} (vCenter has ${existing.join(', ') || 'none'})`,
      {
        hint: near
          ? `did you mean ${CPI_NODE_OPTIONS[key]} "${near}"?`
          : "give the name of the port group the node VMs' NICs are on",
      },
    );
  }
}

async function verify(
  opts: CommonOptions,
  deps: GenerateDeps,
  cred: { username: string; password?: Secret; explicit: boolean },
  which: 'CPI' | 'CSI',
): Promise<void> {
  if (!opts.verify || !cred.explicit || !cred.password) return;
  opts.log.info(`checking the ${which} credentials of ${cred.username} with a login`);
  try {
    await deps.verifyLogin(cred.username, cred.password);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new VkError(`the ${which} credentials of ${cred.username} do not work: ${reason}`, {
      hint: which === 'CSI' ? csiPrivilegesHint : 'check --cpi-username/--cpi-password, or skip with --no-verify',
      cause: err,
    });
  }
  if (which !== 'CSI' || !deps.missingCsiPrivileges) return;
  const { missing, fix } = await deps.missingCsiPrivileges(cred.username);
  if (missing.length === 0) return;
  const shown = firstOf(missing, MISSING_PRIVILEGES_SHOWN);
  throw new VkError(`the CSI user ${cred.username} lacks privileges the driver needs: ${shown}`, {
    hint: `grant them with: ${fix} (or skip the check with --no-verify)`,
  });
}

export async function planCpi(opts: CpiOptions, deps: GenerateDeps): Promise<GeneratePlan> {
  const { host, port } = endpoint(opts.settings);
  const cred = credentials(opts, 'CPI');
  const ca = await caBundleOf(opts);
  const input = (datacenters: string[]): CpiConfigInput => ({
    server: host,
    port,
    serverName: opts.serverName,
    username: cred.username,
    password: cred.password,
    datacenters,
    insecure: opts.settings.insecure,
    caFile: ca?.path,
    caBundle: ca,
    thumbprint: opts.settings.thumbprint,
    secretName: opts.secretName,
    secretNamespace: opts.secretNamespace,
    region: opts.region,
    zone: opts.zone,
    nodes: opts.nodes,
  });
  // Validate everything the flags decide before the first request.
  await generateCpiObjects(input(opts.datacenters.length > 0 ? opts.datacenters : [pendingDatacenter]));
  const datacenters = await resolveDatacenters(opts, deps);
  await checkNetworksExist(opts.nodes, datacenters, deps);
  const objects = await generateCpiObjects(input(datacenters));
  await verify(opts, deps, cred, 'CPI');
  return { objects, secrets: cred.password ? [cred.password] : [] };
}

/**
 * The CSI release a config is for when --csi-version is not given: the one
 * `vk install csi` installs on this cluster (the same function picks it).
 */
async function clusterCsiVersion(log: Logger, deps: GenerateDeps): Promise<string> {
  if (!deps.kubernetesVersion) return newestCsiVersion;
  let gitVersion: string;
  try {
    gitVersion = await deps.kubernetesVersion();
  } catch (err) {
    const reason = (err instanceof Error ? err.message : String(err)).split('\n')[0];
    log.warn(
      `cannot read the cluster's Kubernetes version (${reason}); writing the config for CSI ${newestCsiVersion}, ` +
        `the newest release vk knows (pass --csi-version to choose)`,
    );
    return newestCsiVersion;
  }
  try {
    const version = defaultCsiVersion(gitVersion);
    log.debug(`CSI ${version} is the release vk install csi picks for Kubernetes ${gitVersion}`);
    return version;
  } catch (err) {
    if (!(err instanceof VkError)) throw err;
    throw new VkError(err.message, { hint: 'pass --csi-version to write the config for a specific release' });
  }
}

export async function planCsi(opts: CsiOptions, deps: GenerateDeps): Promise<GeneratePlan> {
  const { host, port } = endpoint(opts.settings);
  const cred = credentials(opts, 'CSI');
  const ca = await caBundleOf(opts);
  let version = opts.version ?? newestCsiVersion;
  const input = (datacenters: string[], clusterId: string): CsiConfigInput => ({
    version,
    clusterId,
    clusterDistribution: opts.clusterDistribution,
    caFile: ca?.path,
    caBundle: ca,
    thumbprint: opts.settings.thumbprint,
    vcenters: [
      {
        server: host,
        port,
        username: cred.username,
        password: cred.password,
        datacenters,
        insecure: opts.settings.insecure,
        fileShareClusters: opts.fileShareClusters,
        fileShareDatastoreUrls: opts.fileShareDatastoreUrls,
      },
    ],
    topologyCategories: opts.topologyCategories,
    netPermissions: opts.netPermissions,
  });
  generateCsiObjects(
    input(opts.datacenters.length > 0 ? opts.datacenters : [pendingDatacenter], opts.clusterId ?? pendingClusterId),
  );
  const datacenters = await resolveDatacenters(opts, deps);
  const clusterId = opts.clusterId ?? clusterIdFromNamespaceUid(await deps.kubeSystemUid());
  version = opts.version ?? (await clusterCsiVersion(opts.log, deps));
  const objects = generateCsiObjects(input(datacenters, clusterId));
  await verify(opts, deps, cred, 'CSI');
  return { objects, version, secrets: cred.password ? [cred.password] : [] };
}

export async function applyGenerated(plan: GeneratePlan, deps: GenerateDeps): Promise<ApplyResult[]> {
  return deps.applyObjects(revealObjects(plan.objects));
}

/** Writes the objects with their real values to a new or truncated file readable by the owner only. */
export async function writeCredentialsFile(path: string, text: string): Promise<void> {
  const { open } = await import('node:fs/promises');
  const file = await open(path, 'w', 0o600);
  try {
    // An existing file keeps its mode on open; tighten it before writing.
    await file.chmod(0o600);
    await file.writeFile(text, 'utf8');
  } finally {
    await file.close();
  }
}

/** Parses `name=NAME,ips=CIDR,permissions=READ_ONLY,rootsquash=true` (--net-permission). */
export function parseNetPermission(spec: string): NetPermission {
  const np: Partial<NetPermission> = {};
  for (const part of spec.split(',')) {
    const i = part.indexOf('=');
    const key = (i < 0 ? part : part.slice(0, i)).trim().toLowerCase();
    const value = i < 0 ? '' : part.slice(i + 1).trim();
    switch (key) {
      case 'name':
        np.name = value;
        break;
      case 'ips':
        np.ips = value;
        break;
      case 'permissions':
        np.permissions = value.toUpperCase() as NetPermission['permissions'];
        break;
      case 'rootsquash':
        if (!/^(true|false)$/i.test(value)) throw new UsageError('--net-permission rootsquash must be true or false');
        np.rootSquash = value.toLowerCase() === 'true';
        break;
      default:
        throw new UsageError(
          `--net-permission ${JSON.stringify(spec)}: unknown field ${JSON.stringify(key)}; use name=,ips=,permissions=,rootsquash=`,
        );
    }
  }
  if (!np.name) throw new UsageError(`--net-permission ${JSON.stringify(spec)} needs name=NAME`);
  return np as NetPermission;
}
