// `vk doctor` checks that compare the drivers' configuration and the
// StorageClasses with vCenter: datacenters, StorageClass datastores, the CSI
// user, the CSI cluster-id and TLS trust. Each is a function of what
// runDoctor has already read (one session, one kube client); the readers
// here fetch only what these checks add: the two driver configs, the
// datastores (one PropertyCollector call) and the server's certificate.

import { posix } from 'node:path';
import type { V1StorageClass } from '@kubernetes/client-node';
import { X509Certificate } from 'node:crypto';
import type { KubeClient } from '../kube/client.js';
import type { VsphereSession } from '../vsphere/connect.js';
import { serverCertificates } from '../vsphere/soap/tls.js';
import type { DatacenterRef } from '../vsphere/inventory.js';
import type { DatastoreHostMount, DatastoreSummary } from '../vsphere/types.js';
import type { DriverConfig, DriverVcenter } from '../drivers/driver-config.js';
import { csiSecret } from '../drivers/csi/config.js';
import type { StoragePolicy } from '../vsphere/pbm.js';
import { userWithDomain } from '../drivers/csi/config.js';
import { isDefaultStorageClass } from '../kube/storage-class.js';
import { check, type CheckId, type CheckResult } from './checks.js';
import { CSI_DRIVER_NAME } from '../drivers/names.js';

type Result = CheckResult;

/** A check that compares against the drivers' configs fails when one of them cannot be read. */
const unreadableConfig = (id: CheckId, reason: string): Result =>
  check(id, 'fail', `cannot read a driver config: ${reason}`, 'regenerate it with vk generate cpi|csi --apply');

const CPI_CONFIG_OBJECT = 'ConfigMap kube-system/vsphere-cloud-config';
const CSI_CONFIG_OBJECT = 'Secret vmware-system-csi/vsphere-config-secret';
export const CPI_CONFIG_SOURCE = `${CPI_CONFIG_OBJECT} (vsphere.conf)`;
export const CSI_CONFIG_SOURCE = `${CSI_CONFIG_OBJECT} (csi-vsphere.conf)`;
const CSI_DRIVER = CSI_DRIVER_NAME;

/** A driver config as read: absent (undefined), read, or unreadable (the reason). */
export type ConfigRead = { ok: true; value: DriverConfig | undefined } | { ok: false; reason: string };

export interface DriverConfigs {
  cpi: ConfigRead;
  csi: ConfigRead;
}

const label = (c: DriverConfig) => c.driver.toUpperCase();
const quoteList = (xs: string[]) => xs.map((x) => `"${x}"`).join(', ');

async function readOne(p: () => Promise<DriverConfig | undefined>): Promise<ConfigRead> {
  try {
    return { ok: true, value: await p() };
  } catch (err) {
    return { ok: false, reason: (err instanceof Error ? err.message : String(err)).split('\n')[0]! };
  }
}

/**
 * The config with each vCenter's CA bundle: the key of the same object named
 * like its caFile (the object is mounted as a directory, so that is the file
 * the driver opens).
 */
function withCaContent(conf: DriverConfig, data: Record<string, string>): DriverConfig {
  return {
    ...conf,
    vcenters: conf.vcenters.map((vc) => (vc.caFile ? { ...vc, caPem: data[posix.basename(vc.caFile)] ?? null } : vc)),
  };
}

/** Both drivers' configs, read concurrently; a missing object is `undefined`, not an error. */
export async function readDriverConfigs(client: KubeClient): Promise<DriverConfigs> {
  const { parseCpiConf, parseCsiConf } = await import('../drivers/driver-config.js');
  const [cpi, csi] = await Promise.all([
    readOne(async () => {
      const cm = await client.find<{ apiVersion: string; kind: string; data?: Record<string, string> }>({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        name: 'vsphere-cloud-config',
        namespace: 'kube-system',
      });
      const text = cm?.data?.['vsphere.conf'];
      return text === undefined ? undefined : withCaContent(await parseCpiConf(text, CPI_CONFIG_SOURCE), cm!.data!);
    }),
    readOne(async () => {
      const secret = await client.find<{
        apiVersion: string;
        kind: string;
        data?: Record<string, string>;
        stringData?: Record<string, string>;
      }>({ apiVersion: 'v1', kind: 'Secret', ...csiSecret });
      const data: Record<string, string> = { ...secret?.stringData };
      for (const [k, v] of Object.entries(secret?.data ?? {})) data[k] = Buffer.from(v, 'base64').toString('utf8');
      const text = data['csi-vsphere.conf'];
      return text === undefined ? undefined : withCaContent(parseCsiConf(text, CSI_CONFIG_SOURCE), data);
    }),
  ]);
  return { cpi, csi };
}

/** The vCenter host and port vk is connected to. */
export function vkEndpoint(session: VsphereSession): { host: string; port: number } {
  const url = session.options.url;
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return { host, port: url.port ? Number(url.port) : url.protocol === 'http:' ? 80 : 443 };
}

const sameHost = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
const findDatacenter = (all: DatacenterRef[], name: string) => {
  const n = name.replace(/\/+$/, '');
  return all.find((d) => d.path === n || d.path === `/${n}` || d.name === n);
};

// ---------------------------------------------------------------- datacenters

export function datacentersCheck(
  session: VsphereSession,
  datacenters: DatacenterRef[],
  configs: DriverConfigs | undefined,
): Result {
  const id = 'datacenters';
  const have = datacenters.map((d) => d.path).join(', ') || 'none';
  const wanted = session.options.datacenter;
  if (datacenters.length === 0) {
    return check(id, 'fail', 'vCenter has no datacenter', 'create a datacenter and move the hosts into it');
  }
  if (wanted && !findDatacenter(datacenters, wanted)) {
    return check(
      id,
      'fail',
      `datacenter "${wanted}" (--datacenter) not found; vCenter has: ${have}`,
      'pass one of them to --datacenter (or GOVC_DATACENTER)',
    );
  }
  const { host } = vkEndpoint(session);
  const seen: string[] = [`vk: ${wanted ? findDatacenter(datacenters, wanted)!.path : `not set, vCenter has ${have}`}`];
  for (const read of [configs?.cpi, configs?.csi]) {
    if (!read) continue;
    if (!read.ok) return unreadableConfig(id, read.reason);
    const conf = read.value;
    if (!conf) continue;
    for (const vc of conf.vcenters.filter((v) => sameHost(v.server, host))) {
      const missing = vc.datacenters.filter((d) => !findDatacenter(datacenters, d));
      if (missing.length) {
        return check(
          id,
          'fail',
          `${label(conf)} config names datacenter ${quoteList(missing)}, not in vCenter (it has: ${have})`,
          `correct datacenters in ${conf.source}, or regenerate: vk generate ${conf.driver} --datacenter ${datacenters[0]!.name} --apply`,
        );
      }
      if (vc.datacenters.length === 0) {
        return check(
          id,
          'fail',
          `${label(conf)} config names no datacenter for ${vc.server}`,
          `set datacenters in ${conf.source}, or regenerate: vk generate ${conf.driver} --datacenter ${datacenters[0]!.name} --apply`,
        );
      }
      seen.push(`${label(conf)}: ${vc.datacenters.join(', ')}`);
    }
  }
  return check(id, 'pass', seen.join('; '));
}

// ---------------------------------------------------------------- storageclass-datastore

/** A datastore as this check needs it: its URL and the hosts that can use it. */
export interface DoctorDatastore {
  name: string;
  url: string;
  /** refKeys of hosts that have it mounted and accessible. */
  hosts: Set<string>;
}

interface DatastoreProps {
  name: string;
  summary: DatastoreSummary;
  host: DatastoreHostMount[];
}

/** Every datastore with its URL and usable host mounts: one PropertyCollector call. */
export async function readDatastores(session: VsphereSession): Promise<DoctorDatastore[]> {
  const { retrieveFromContainer } = await import('../vsphere/property-collector.js');
  const { refKey } = await import('../vsphere/types.js');
  const objects = await retrieveFromContainer<DatastoreProps>(session.client, {
    container: session.client.sc.rootFolder,
    type: 'Datastore',
    paths: ['name', 'summary', 'host'],
  });
  return objects.map((o) => ({
    name: o.props.name ?? o.ref.value,
    url: o.props.summary?.url ?? '',
    hosts: new Set(
      (o.props.host ?? [])
        .filter((m) => m.mountInfo?.mounted !== false && m.mountInfo?.accessible !== false)
        .map((m) => refKey(m.key)),
    ),
  }));
}

const normUrl = (u: string) => u.trim().replace(/\/+$/, '');
/** StorageClass parameters are case-insensitive for the CSI driver. */
const param = (c: V1StorageClass, key: string) =>
  Object.entries(c.parameters ?? {}).find(([k]) => k.toLowerCase() === key)?.[1];

/** The csi.vsphere.vmware.com classes, the default one first. */
export function csiClasses(classes: V1StorageClass[]): V1StorageClass[] {
  return classes
    .filter((c) => c.provisioner === CSI_DRIVER)
    .sort(
      (a, b) =>
        Number(isDefaultStorageClass(b)) - Number(isDefaultStorageClass(a)) ||
        a.metadata!.name!.localeCompare(b.metadata!.name!),
    );
}

export const needsDatastores = (classes: V1StorageClass[]) => csiClasses(classes).some((c) => param(c, 'datastoreurl'));
export const needsPolicies = (classes: V1StorageClass[]) =>
  csiClasses(classes).some((c) => param(c, 'storagepolicyname'));

/** A node and the host its VM runs on (refKey), when known. */
export interface NodeHost {
  node: string;
  host?: string;
  /** The node's labels, read when some class has allowedTopologies. */
  labels?: Record<string, string>;
}

/** Whether a node may get volumes of the class: no allowedTopologies, or one term all of whose expressions it meets. */
function inAllowedTopology(c: V1StorageClass, n: NodeHost): boolean {
  const terms = c.allowedTopologies ?? [];
  if (terms.length === 0) return true;
  return terms.some((t) =>
    (t.matchLabelExpressions ?? []).every((e) => (e.values ?? []).includes(n.labels?.[e.key] ?? '')),
  );
}

export function storageClassDatastoreCheck(
  classes: V1StorageClass[],
  datastores: DoctorDatastore[] | undefined,
  policies: StoragePolicy[] | string | undefined,
  /** undefined when the node VMs could not be read: only the datastore's existence is checked. */
  nodes: NodeHost[] | undefined,
): Result {
  const id = 'storageclass-datastore';
  const csi = csiClasses(classes);
  if (csi.length === 0) return check(id, 'skip', `no ${CSI_DRIVER} StorageClass`);
  const notes: string[] = [];
  for (const c of csi) {
    const name = c.metadata!.name!;
    const url = param(c, 'datastoreurl');
    const policy = param(c, 'storagepolicyname');
    if (url) {
      const ds = datastores?.find((d) => normUrl(d.url) === normUrl(url));
      if (!ds) {
        return check(
          id,
          'fail',
          `StorageClass ${name}: no datastore has datastoreurl ${url}`,
          `vk datastores lists each datastore's URL; recreate the class: vk storageclass create ${name} --datastore DATASTORE`,
        );
      }
      if (!nodes) {
        notes.push(`${name}: ${ds.name} (hosts not checked: the node VMs could not be read)`);
        continue;
      }
      const scope = nodes.filter((n) => inAllowedTopology(c, n));
      const zoned = scope.length < nodes.length;
      const cut = scope.filter((n) => n.host !== undefined && !ds.hosts.has(n.host)).map((n) => n.node);
      if (cut.length) {
        return check(
          id,
          'fail',
          `StorageClass ${name}: datastore ${ds.name} is not mounted on the host of ${cut.length === 1 ? 'node' : 'nodes'} ${cut.join(', ')}${zoned ? ' of its zones' : ''}`,
          zoned
            ? `use a datastore the hosts of its zones mount, or zones whose hosts mount ${ds.name} (vk datastores shows the mounts): vk storageclass create ${name} --datastore DATASTORE --zone ZONE`
            : `use a datastore every node's host mounts (vk datastores shows which are shared): vk storageclass create ${name} --datastore DATASTORE`,
        );
      }
      const count = scope.filter((n) => n.host).length;
      notes.push(
        zoned
          ? `${name}: ${ds.name} on the hosts of all ${count} node${count === 1 ? '' : 's'} of its zones`
          : `${name}: ${ds.name} on the hosts of all ${count} nodes`,
      );
    } else if (policy) {
      if (typeof policies === 'string') notes.push(`${name}: policy "${policy}" not checked (${policies})`);
      else if (policies && !policies.some((p) => p.name === policy)) {
        return check(
          id,
          'fail',
          `StorageClass ${name}: storage policy "${policy}" not found in vCenter`,
          `create the policy in vCenter, or recreate the class with an existing one: vk storageclass create ${name} --policy POLICY`,
        );
      } else notes.push(`${name}: policy "${policy}"`);
    } else notes.push(`${name}: any shared datastore`);
  }
  return check(id, 'pass', notes.join('; '));
}

// ---------------------------------------------------------------- csi-user

/** The domain of vk's own login (VSPHERE.LOCAL\admin, admin@vsphere.local → vsphere.local). */
export function domainOf(userName: string | undefined): string | undefined {
  if (!userName) return undefined;
  const at = userName.lastIndexOf('@');
  if (at > 0) return userName.slice(at + 1).toLowerCase();
  const bs = userName.indexOf('\\');
  return bs > 0 ? userName.slice(0, bs).toLowerCase() : undefined;
}

/** A CSI config check when the config cannot be read (fail) or is not there (skip). */
function csiConfigUnusable(id: CheckId, csi: ConfigRead): Result {
  if (!csi.ok) {
    return check(id, 'fail', `cannot read ${CSI_CONFIG_SOURCE}: ${csi.reason}`, 'vk generate csi --apply');
  }
  return check(id, 'skip', `${CSI_CONFIG_SOURCE} not found`);
}

export function csiUserCheck(csi: ConfigRead, domain = 'vsphere.local'): Result {
  if (!csi.ok || !csi.value) return csiConfigUnusable('csi-user', csi);
  return userDomainResult(csi.value.vcenters, domain);
}

/** Pure: every vCenter's user must be user@domain or DOMAIN\user, as the driver requires. */
export function userDomainResult(vcenters: DriverVcenter[], domain: string): Result {
  const id = 'csi-user';
  for (const vc of vcenters) {
    const user = vc.user ?? '';
    if (user === '') {
      return check(
        id,
        'fail',
        `no user for [VirtualCenter "${vc.server}"]`,
        `set user = "k8s-csi@${domain}" in ${CSI_CONFIG_SOURCE}, or vk generate csi --csi-username k8s-csi@${domain} --apply`,
      );
    }
    if (!userHasDomain(user)) {
      const fixed = `${user}@${domain}`;
      return check(
        id,
        'fail',
        `user "${user}" of [VirtualCenter "${vc.server}"] has no domain; the driver refuses to start`,
        `set user = "${fixed}" in ${CSI_CONFIG_SOURCE}, or vk generate csi --csi-username ${fixed} --apply`,
      );
    }
  }
  return check(id, 'pass', vcenters.map((v) => v.user).join(', ') || 'no vCenter entries');
}

/** The driver's own rule (isValidvCenterUsernameWithDomain). */
export const userHasDomain = (user: string): boolean => userWithDomain.test(user);

// ---------------------------------------------------------------- cluster-id

export function clusterIdCheck(csi: ConfigRead, generic: (id: string) => boolean, suggested?: string): Result {
  const id = 'cluster-id';
  if (!csi.ok || !csi.value) return csiConfigUnusable(id, csi);
  const clusterId = csi.value.clusterId ?? '';
  if (clusterId.trim() === '') {
    return check(id, 'pass', 'not set: the driver (v3.0 and later) generates a unique one itself');
  }
  if (generic(clusterId)) {
    const unique = suggested ?? 'a unique id';
    return check(
      id,
      'warn',
      `cluster-id "${clusterId}" is generic: another cluster on this vCenter with the same id shares (and may delete) its CNS volumes`,
      `before creating volumes, set cluster-id = "${unique}" in ${CSI_CONFIG_SOURCE} (vk generate csi --apply derives it from the kube-system UID)`,
    );
  }
  return check(id, 'pass', `"${clusterId}"`);
}

// ---------------------------------------------------------------- tls-trust

/**
 * The server's certificate thumbprints and the chain it presents (PEM, leaf
 * first), or why they could not be read; undefined over http.
 */
export type ServerCert = { sha256: string; sha1: string; chain?: string[] } | string | undefined;

export async function readServerCert(session: VsphereSession): Promise<ServerCert> {
  if (session.options.url.protocol !== 'https:') return undefined;
  const { host, port } = vkEndpoint(session);
  try {
    return await serverCertificates(host, port, session.options.timeoutMs);
  } catch (err) {
    return (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
  }
}

const isIP = (host: string) => /^[\d.]+$/.test(host) || host.includes(':');

/**
 * Whether a CA bundle verifies the presented chain for `host`, as the
 * drivers' Go TLS client would with ca-file as its only roots: the leaf names
 * the host, and walking up the presented chain reaches a certificate the
 * bundle holds or one signed by a certificate it holds. True, or why not.
 */
export function caBundleTrusts(bundle: string, chain: readonly string[], host: string): true | string {
  const blocks = bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  let cas: X509Certificate[];
  let certs: X509Certificate[];
  try {
    cas = blocks.map((b) => new X509Certificate(b));
    certs = chain.map((p) => new X509Certificate(p));
  } catch {
    return 'a certificate cannot be parsed';
  }
  if (cas.length === 0) return 'it holds no PEM certificate';
  const leaf = certs[0];
  if (!leaf) return 'the server presented no certificate';
  const named = isIP(host) ? leaf.checkIP(host) : leaf.checkHost(host);
  if (!named) return `the server's certificate is not issued for ${host}`;
  const signedBy = (c: X509Certificate, issuer: X509Certificate) => c.checkIssued(issuer) && c.verify(issuer.publicKey);
  for (let i = 0; i < certs.length; i++) {
    const c = certs[i]!;
    if (cas.some((ca) => ca.fingerprint256 === c.fingerprint256 || signedBy(c, ca))) return true;
    const next = certs[i + 1];
    if (!next || !signedBy(c, next)) break;
  }
  return "no certificate in it signed the server's certificate chain";
}

/** vk's trust settings, as a user would name them. */
function vkTrust(session: VsphereSession): string {
  const t = session.options.tls;
  if (session.options.url.protocol !== 'https:') return 'plain http';
  if (t.thumbprint) return 'thumbprint (--thumbprint)';
  if (t.caPem) return 'CA file (--ca-file)';
  if (t.insecure) return 'no verification (--insecure)';
  return 'system CAs';
}

const hexOnly = (t: string) =>
  t
    .replace(/^(sha-?256|sha-?1)[:=]/i, '')
    .replace(/[:\s-]/g, '')
    .toUpperCase();

export function tlsTrustCheck(session: VsphereSession, configs: DriverConfigs, cert: ServerCert): Result {
  const id = 'tls-trust';
  const read = [configs.cpi, configs.csi];
  const bad = read.find((r) => !r.ok);
  if (bad && !bad.ok) return unreadableConfig(id, bad.reason);
  const confs = read.map((r) => (r.ok ? r.value : undefined)).filter((c): c is DriverConfig => !!c);
  if (confs.length === 0) return check(id, 'skip', 'no CPI or CSI config in the cluster');
  const { host, port } = vkEndpoint(session);
  const vk = session.options.tls;
  const vkVerifies = session.options.url.protocol === 'https:' && !vk.insecure;
  const sha256 = typeof cert === 'object' ? cert.sha256 : undefined;
  const pinHint = sha256 ? ` (the server's SHA-256 thumbprint is ${sha256})` : '';
  const warns: Result[] = [];
  const notes: string[] = [];
  for (const conf of confs) {
    const regen = `vk generate ${conf.driver} --apply regenerates it`;
    if (conf.vcenters.length === 0) {
      return check(id, 'fail', `${label(conf)} config names no vCenter`, `set the vCenter in ${conf.source}; ${regen}`);
    }
    // A multi-vCenter config lists others too; only the entry for vk's vCenter can be compared.
    const mine = conf.vcenters.filter((v) => sameHost(v.server, host));
    const other = mine.length === 0 ? conf.vcenters[0]! : mine.find((v) => v.port !== undefined && v.port !== port);
    if (other) {
      return check(
        id,
        'fail',
        `${label(conf)} connects to ${other.server}:${other.port ?? 443}, vk to ${host}:${port}`,
        `point the vCenter entry (server, port) in ${conf.source} at ${host}:${port}; ${regen}`,
      );
    }
    if (mine.length < conf.vcenters.length) {
      notes.push(`${label(conf)} also uses ${conf.vcenters.length - mine.length} other vCenter(s), not checked`);
    }
    for (const vc of mine) {
      if (vc.thumbprint) {
        const pinned = hexOnly(vc.thumbprint);
        if (typeof cert === 'object') {
          const actual = (pinned.length === 40 ? cert.sha1 : cert.sha256).replaceAll(':', '');
          if (pinned !== actual) {
            return check(
              id,
              'fail',
              `${label(conf)} thumbprint ${vc.thumbprint} does not match the server's certificate (SHA-256 ${cert.sha256})`,
              `set thumbprint to ${cert.sha256} in ${conf.source}; ${regen} (with --thumbprint ${cert.sha256})`,
            );
          }
          notes.push(`${label(conf)} pins the server's certificate`);
        } else
          notes.push(`${label(conf)} pins a thumbprint${typeof cert === 'string' ? ` (not compared: ${cert})` : ''}`);
      } else if (vc.insecure) {
        if (vkVerifies) {
          warns.push(
            check(
              id,
              'warn',
              `${label(conf)} skips certificate verification (insecure-flag) while vk verifies with ${vkTrust(session)}`,
              `in ${conf.source} set the thumbprint${pinHint} and insecure-flag false; ${regen}`,
            ),
          );
        } else notes.push(`${label(conf)} does not verify`);
      } else if (vc.caFile) {
        const object = conf.driver === 'cpi' ? CPI_CONFIG_OBJECT : CSI_CONFIG_OBJECT;
        const key = posix.basename(vc.caFile);
        const fix = `vk generate ${conf.driver} --ca-file FILE --apply stores the CA bundle in ${object}`;
        if (vc.caPem === null) {
          return check(
            id,
            'fail',
            `${label(conf)} ca-file ${vc.caFile} is not a key of ${object}, so no driver pod has that file`,
            fix,
          );
        }
        if (vc.caPem === undefined || typeof cert !== 'object' || !cert.chain) {
          notes.push(
            `${label(conf)} trusts CA file ${vc.caFile}${typeof cert === 'string' ? ` (not compared: ${cert})` : ''}`,
          );
        } else {
          const verdict = caBundleTrusts(vc.caPem, cert.chain, host);
          if (verdict !== true) {
            return check(
              id,
              'fail',
              `${label(conf)} CA bundle (${key} of ${object}) does not verify ${host}: ${verdict} (SHA-256 ${cert.sha256})`,
              `${fix}, with the CA that issued the server's certificate`,
            );
          }
          notes.push(`${label(conf)} CA bundle (${key} of ${object}) verifies the server's certificate`);
        }
      } else if (vkVerifies && (vk.thumbprint || vk.caPem)) {
        warns.push(
          check(
            id,
            'warn',
            `${label(conf)} trusts the system CAs only, while vk needs ${vkTrust(session)} for this server`,
            `in ${conf.source} set the thumbprint${pinHint} (or ca-file); ${regen}`,
          ),
        );
      } else notes.push(`${label(conf)} trusts the system CAs`);
    }
  }
  if (warns.length) return warns[0]!;
  return check(id, 'pass', `${host}:${port}; vk: ${vkTrust(session)}; ${notes.join('; ')}`);
}
