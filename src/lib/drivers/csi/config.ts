// The vSphere CSI driver's configuration: Secret `vsphere-config-secret` in
// `vmware-system-csi` holding `csi-vsphere.conf` in gcfg INI. Only keys the
// target driver version reads are written (config-keys.ts); the checks mirror
// validateConfig in vsphere-csi-driver pkg/common/config/config.go (at most
// five vCenters, topology categories required for more than one, user names
// with a domain, cluster-id of at most 64 bytes, net permission values).

import { UsageError } from '../../core/errors.js';
import type { Secret } from '../../core/secret.js';
import { validateClusterId } from './cluster-id.js';
import { CSI_NAMESPACE } from '../names.js';
import { csiKeysFor, csiReads, newestCsiVersion, type CsiKeySet, type CsiSection } from './config-keys.js';
import { renderIni, type IniSection, type IniValue } from '../ini.js';
import { SecretText, type GeneratedObject, type SecretObject } from '../config-objects.js';
import { validateListItems, validatePassword } from '../validate.js';

export const csiSecret = { name: 'vsphere-config-secret', namespace: CSI_NAMESPACE } as const;
export const csiConfKey = 'csi-vsphere.conf';
export const maxVcenters = 5;
export const maxTopologyCategories = 5;
export const netPermissionAccess = ['READ_WRITE', 'READ_ONLY', 'NO_ACCESS'] as const;

/** The driver's user name check (isValidvCenterUsernameWithDomain). */
export const userWithDomain = /^(?:[a-zA-Z0-9.-]+\\[a-zA-Z0-9._-]+|[a-zA-Z0-9._-]+@[a-zA-Z0-9.-]+)$/;

export interface CsiVcenterInput {
  server: string;
  port: number;
  username: string;
  password: Secret | undefined;
  datacenters: readonly string[];
  insecure: boolean;
  /** targetvSANFileShareClusters: vSAN clusters file volumes may be created on. */
  fileShareClusters?: readonly string[];
  /** targetvSANFileShareDatastoreURLs (read by v3.0–v3.1 only). */
  fileShareDatastoreUrls?: readonly string[];
}

export interface NetPermission {
  name: string;
  ips?: string;
  permissions?: (typeof netPermissionAccess)[number];
  rootSquash?: boolean;
}

export interface CsiConfigInput {
  /** Driver version the config is for (default: the newest vk knows). */
  version?: string;
  clusterId: string;
  clusterDistribution?: string;
  /** ca-file: the CA bundle's path inside the driver pod. */
  caFile?: string;
  /** The bundle itself, stored under `key` in the Secret the driver mounts. */
  caBundle?: { key: string; pem: string };
  thumbprint?: string;
  vcenters: readonly CsiVcenterInput[];
  topologyCategories?: readonly string[];
  netPermissions?: readonly NetPermission[];
}

/** The flag that asks for each optional key, for errors naming the fix. */
const flagFor: Record<string, string> = {
  'Global cluster-distribution': '--cluster-distribution',
  'Global ca-file': '--ca-file',
  'Global thumbprint': '--thumbprint',
  'VirtualCenter targetvSANFileShareClusters': '--file-share-cluster',
  'VirtualCenter targetvSANFileShareDatastoreURLs': '--file-share-datastore-url',
  'Labels topology-categories': '--topology-category',
  'NetPermissions ips': '--net-permission',
  'NetPermissions permissions': '--net-permission',
  'NetPermissions rootsquash': '--net-permission',
};

export function validateCsiInput(input: CsiConfigInput): void {
  validateClusterId(input.clusterId);
  if (input.vcenters.length === 0) throw new UsageError('no vCenter given; set --url');
  if (input.vcenters.length > maxVcenters) {
    throw new UsageError(`${input.vcenters.length} vCenters given; the CSI driver supports at most ${maxVcenters}`);
  }
  const categories = input.topologyCategories ?? [];
  if (input.vcenters.length > 1 && categories.length === 0) {
    throw new UsageError('more than one vCenter needs topology categories; set --topology-category');
  }
  if (categories.length > maxTopologyCategories) {
    throw new UsageError(`${categories.length} topology categories given; the CSI driver allows at most 5`);
  }
  validateListItems(categories, '--topology-category');
  const servers = new Set<string>();
  for (const vc of input.vcenters) {
    if (servers.has(vc.server)) throw new UsageError(`vCenter ${vc.server} is given twice`);
    servers.add(vc.server);
    if (!vc.username) throw new UsageError('the CSI user name is empty; set --csi-username or --username');
    if (!userWithDomain.test(vc.username)) {
      throw new UsageError(
        `CSI user ${JSON.stringify(vc.username)} has no domain; the driver requires user@domain or DOMAIN\\user`,
      );
    }
    validatePassword(vc.password, '--csi-password or --password');
    if (vc.datacenters.length === 0) throw new UsageError('no datacenter given; set --datacenter');
    validateListItems(vc.datacenters, '--datacenter');
    validateListItems(vc.fileShareClusters ?? [], '--file-share-cluster');
    validateListItems(vc.fileShareDatastoreUrls ?? [], '--file-share-datastore-url');
  }
  const names = new Set<string>();
  for (const np of input.netPermissions ?? []) {
    if (np.name === '') throw new UsageError('--net-permission needs a name');
    if (names.has(np.name)) throw new UsageError(`--net-permission ${np.name} is given twice`);
    names.add(np.name);
    if (np.permissions !== undefined && !netPermissionAccess.includes(np.permissions)) {
      throw new UsageError(`--net-permission permissions must be one of ${netPermissionAccess.join(', ')}`);
    }
  }
}

class SectionBuilder {
  readonly entries: Array<[string, IniValue | undefined]> = [];
  constructor(
    private readonly keys: CsiKeySet,
    private readonly version: string,
    readonly section: CsiSection,
  ) {}

  /** Adds a key the user asked for; refuses it when the target version does not read it. */
  set(key: string, value: IniValue | undefined): this {
    if (value === undefined) return this;
    if (!csiReads(this.keys, this.section, key)) {
      const flag = flagFor[`${this.section} ${key}`];
      throw new UsageError(
        `CSI driver ${this.version} does not read ${this.section} ${key}` + (flag ? `; drop ${flag}` : ''),
      );
    }
    this.entries.push([key, value]);
    return this;
  }
}

const joinList = (items: readonly string[] | undefined) => (items && items.length > 0 ? items.join(',') : undefined);

/** The INI sections of csi-vsphere.conf for the input's driver version. */
export function csiSections(input: CsiConfigInput): IniSection[] {
  const version = input.version ?? newestCsiVersion;
  const keys = csiKeysFor(version);
  const section = (name: CsiSection) => new SectionBuilder(keys, version, name);

  const global = section('Global')
    .set('cluster-id', input.clusterId)
    .set('cluster-distribution', input.clusterDistribution)
    .set('ca-file', input.caFile)
    .set('thumbprint', input.thumbprint);
  const sections: IniSection[] = [{ name: 'Global', entries: global.entries }];

  for (const vc of input.vcenters) {
    const s = section('VirtualCenter')
      .set('insecure-flag', vc.insecure)
      .set('user', vc.username)
      .set('password', vc.password)
      .set('port', String(vc.port))
      .set('datacenters', joinList(vc.datacenters))
      .set('targetvSANFileShareClusters', joinList(vc.fileShareClusters))
      .set('targetvSANFileShareDatastoreURLs', joinList(vc.fileShareDatastoreUrls));
    sections.push({ name: 'VirtualCenter', subsection: vc.server, entries: s.entries });
  }

  const categories = joinList(input.topologyCategories);
  if (categories !== undefined) {
    sections.push({ name: 'Labels', entries: section('Labels').set('topology-categories', categories).entries });
  }

  for (const np of input.netPermissions ?? []) {
    const s = section('NetPermissions')
      .set('ips', np.ips)
      .set('permissions', np.permissions)
      .set('rootsquash', np.rootSquash);
    sections.push({ name: 'NetPermissions', subsection: np.name, entries: s.entries });
  }
  return sections;
}

/** The CSI config Secret; validates first, throws UsageError on bad input. */
export function generateCsiObjects(input: CsiConfigInput): GeneratedObject[] {
  validateCsiInput(input);
  const sections = csiSections(input);
  const conf = new SecretText(renderIni(sections, { reveal: false }), renderIni(sections, { reveal: true }));
  const secret: SecretObject = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { ...csiSecret },
    type: 'Opaque',
    stringData: { [csiConfKey]: conf, ...(input.caBundle && { [input.caBundle.key]: input.caBundle.pem }) },
  };
  return [secret];
}
