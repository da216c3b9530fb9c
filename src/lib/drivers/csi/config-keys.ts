// Which csi-vsphere.conf keys each vSphere CSI driver release reads — the one
// table vk consults before it writes a key. The driver parses the file with
// gcfg.FatalOnly(gcfg.ReadInto(...)), which silently ignores unknown keys, so
// a key the target release does not read is a silent misconfiguration; vk
// refuses it instead.
//
// Source: kubernetes-sigs/vsphere-csi-driver, pkg/common/config/types.go (the
// `gcfg:"..."` tags of Config, VirtualCenterConfig, NetPermissionConfig,
// TopologyCategoryInfo, SnapshotConfig, GCConfig) at every v3.x release tag,
// compared tag by tag:
//   v3.0.0 … v3.1.2  identical key set (has targetvSANFileShareDatastoreURLs)
//   v3.2.0           drops VirtualCenter targetvSANFileShareDatastoreURLs
//   v3.3.0           adds VirtualCenter ca-file, thumbprint
//   v3.3.1 … v3.5.0  drops Global vc-client-timeout
//   v3.5.1 … v3.6.x  adds VirtualCenter vc-session-manager-url, -token
//   v3.7.0 … v3.7.2  drops those two again, adds Global
//                    cnspvcprotection-cleanup-intervalinmin
//   v3.7.3           adds GC topology-enabled
//   v3.8.x           same as v3.7.3: pkg/common/config is unchanged between
//                    v3.7.3 and release-3.8 (whose head is v3.8.0-rc.1, the
//                    newest 3.8 tag in the snapshot examined)
// All of these pin gopkg.in/gcfg.v1 v1.2.3 in go.mod. Keys are matched
// case-insensitively by gcfg; they are written here as the tags spell them.

import { UsageError } from '../../core/errors.js';
import { newestCsiRelease } from '../manifests/compatibility.js';

export type CsiSection =
  'Global' | 'VirtualCenter' | 'NetPermissions' | 'Labels' | 'TopologyCategory' | 'Snapshot' | 'GC';

export type CsiKeySet = Readonly<Record<CsiSection, readonly string[]>>;

export interface CsiRelease {
  /**
   * First and last version (inclusive) that read exactly this key set. A `to`
   * of x.y.99 stands for "every later patch release of x.y" (checked up to the
   * newest tag of that minor: v3.1.2, v3.2.0, v3.6.3, v3.7.3, v3.8.0-rc.1).
   */
  from: string;
  to: string;
  keys: CsiKeySet;
}

const globalBase = [
  'cluster-id',
  'supervisor-id',
  'user',
  'password',
  'port',
  'insecure-flag',
  'ca-file',
  'thumbprint',
  'datacenters',
  'cnsregistervolumes-cleanup-intervalinmin',
  'volumemigration-cr-cleanup-intervalinmin',
  'cluster-distribution',
  'csi-auth-check-intervalinmin',
  'cnsvolumeoperationrequest-cleanup-intervalinmin',
  'csi-fetch-preferred-datastores-intervalinmin',
  'query-limit',
  'list-volume-threshold',
];
const vcBase = [
  'user',
  'password',
  'port',
  'insecure-flag',
  'datacenters',
  'targetvSANFileShareClusters',
  'migration-datastore-url',
];
const common = {
  NetPermissions: ['ips', 'permissions', 'rootsquash'],
  Labels: ['zone', 'region', 'topology-categories'],
  TopologyCategory: ['label'],
  Snapshot: [
    'global-max-snapshots-per-block-volume',
    'granular-max-snapshots-per-block-volume-vsan',
    'granular-max-snapshots-per-block-volume-vvol',
  ],
};
const gcBase = [
  'endpoint',
  'port',
  'tanzukubernetescluster-uid',
  'tanzukubernetescluster-name',
  'cluster-distribution',
  'cluster-api-version',
  'cluster-kind',
];

/** Oldest first. */
export const csiReleases: readonly CsiRelease[] = [
  {
    from: '3.0.0',
    to: '3.1.99',
    keys: {
      ...common,
      Global: [...globalBase, 'vc-client-timeout'],
      VirtualCenter: [...vcBase, 'targetvSANFileShareDatastoreURLs'],
      GC: gcBase,
    },
  },
  {
    from: '3.2.0',
    to: '3.2.99',
    keys: { ...common, Global: [...globalBase, 'vc-client-timeout'], VirtualCenter: vcBase, GC: gcBase },
  },
  {
    from: '3.3.0',
    to: '3.3.0',
    keys: {
      ...common,
      Global: [...globalBase, 'vc-client-timeout'],
      VirtualCenter: [...vcBase, 'ca-file', 'thumbprint'],
      GC: gcBase,
    },
  },
  {
    from: '3.3.1',
    to: '3.5.0',
    keys: { ...common, Global: globalBase, VirtualCenter: [...vcBase, 'ca-file', 'thumbprint'], GC: gcBase },
  },
  {
    from: '3.5.1',
    to: '3.6.99',
    keys: {
      ...common,
      Global: globalBase,
      VirtualCenter: [...vcBase, 'ca-file', 'thumbprint', 'vc-session-manager-url', 'vc-session-manager-token'],
      GC: gcBase,
    },
  },
  {
    from: '3.7.0',
    to: '3.7.2',
    keys: {
      ...common,
      Global: [...globalBase, 'cnspvcprotection-cleanup-intervalinmin'],
      VirtualCenter: [...vcBase, 'ca-file', 'thumbprint'],
      GC: gcBase,
    },
  },
  {
    from: '3.7.3',
    to: '3.8.99',
    keys: {
      ...common,
      Global: [...globalBase, 'cnspvcprotection-cleanup-intervalinmin'],
      VirtualCenter: [...vcBase, 'ca-file', 'thumbprint'],
      GC: [...gcBase, 'topology-enabled'],
    },
  },
];

/** The newest release of the compatibility table, which has a key set here (a unit test checks every row). */
export const newestCsiVersion = newestCsiRelease();

type Triple = [number, number, number];

// A pre-release (v3.8.0-rc.1) reads the keys of its release.
function parseVersion(v: string): Triple | undefined {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+)(?:-[0-9A-Za-z.-]+)?)?$/.exec(v.trim());
  if (!m) return undefined;
  return [Number(m[1]), Number(m[2]), m[3] === undefined ? -1 : Number(m[3])];
}

function cmp(a: Triple, b: Triple): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/** `v3.3` or `3.3.1` → the key set of that release; unknown versions are a usage error. */
export function csiKeysFor(version: string): CsiKeySet {
  const v = parseVersion(version);
  if (!v) throw new UsageError(`--csi-version ${JSON.stringify(version)} is not a version like v3.7.3`);
  // A bare minor (v3.3) means its newest patch release.
  const probe: Triple = v[2] === -1 ? [v[0], v[1], 99] : v;
  const release = csiReleases.find(
    (r) => cmp(parseVersion(r.from)!, probe) <= 0 && cmp(probe, parseVersion(r.to)!) <= 0,
  );
  if (!release) {
    const newest = csiReleases[csiReleases.length - 1]!.to.replace(/\.99$/, '.x');
    const supported = `v${csiReleases[0]!.from} to v${newest}`;
    throw new UsageError(`CSI driver version ${version} is not known to vk; supported: ${supported}`);
  }
  return release.keys;
}

/** Whether the release reads `key` in `section` (case-insensitive, like gcfg). */
export function csiReads(keys: CsiKeySet, section: CsiSection, key: string): boolean {
  return keys[section].some((k) => k.toLowerCase() === key.toLowerCase());
}
