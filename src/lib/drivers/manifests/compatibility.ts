// Which CPI and CSI release vk installs on which Kubernetes minor, and where
// each release's manifest lives. Plain data: supporting a new release is one
// row. Every row names the source it was checked against; read the notes
// before changing a row.
//
// Manifests are fetched by tag, not by release branch: the CPI README tells
// users to fetch `release-1.NN/releases/v1.NN/...`, but a branch moves with
// every patch release while a tag is exactly the version vk reports, pins and
// later compares against (`vk doctor`, upgrades). At each tag below the
// manifest's image is the tag's own version (checked with `git show
// <tag>:releases/v1.NN/vsphere-cloud-controller-manager.yaml`).

import { UsageError, VkError } from '../../core/errors.js';

export type Component = 'cpi' | 'csi';

/** Where the upstream manifests are served from (GitHub's raw file host). */
export const UPSTREAM_BASE_URL = 'https://raw.githubusercontent.com';

/**
 * Replaces UPSTREAM_BASE_URL for every default manifest download, keeping
 * the path below it (`/kubernetes/cloud-provider-vsphere/<tag>/releases/...`,
 * `/kubernetes-sigs/vsphere-csi-driver/<tag>/manifests/vanilla/...`): an
 * air-gapped site mirrors those paths on an internal web server once and
 * keeps vk's version selection.
 */
export const MANIFEST_BASE_URL_ENV = 'VK_MANIFEST_BASE_URL';

const CPI_REPO = 'kubernetes/cloud-provider-vsphere';
const CSI_REPO = 'kubernetes-sigs/vsphere-csi-driver';

interface CpiRelease {
  /** Kubernetes minor, "1.NN". */
  kubernetes: string;
  /** Newest patch release of the matching CPI minor. */
  version: string;
  /** The image the tag's manifest runs. */
  image: string;
}

// The CPI follows the Kubernetes minor one to one: "compatibility is ONLY
// guaranteed between a specific release and its corresponding Kubernetes
// version" — version matrix in
// https://github.com/kubernetes/cloud-provider-vsphere/blob/master/README.md
// (lists v1.29.X … v1.36.X on release-1.29 … release-1.36). Newest patch per
// minor and image from the repository's tags
// (https://github.com/kubernetes/cloud-provider-vsphere/tags), checked
// 2026-08 against a snapshot of the repository.
const CPI_RELEASES: readonly CpiRelease[] = [
  { kubernetes: '1.36', version: 'v1.36.0', image: 'registry.k8s.io/cloud-pv-vsphere/cloud-provider-vsphere:v1.36.0' },
  { kubernetes: '1.35', version: 'v1.35.1', image: 'registry.k8s.io/cloud-pv-vsphere/cloud-provider-vsphere:v1.35.1' },
  { kubernetes: '1.34', version: 'v1.34.0', image: 'registry.k8s.io/cloud-pv-vsphere/cloud-provider-vsphere:v1.34.0' },
  { kubernetes: '1.33', version: 'v1.33.1', image: 'registry.k8s.io/cloud-pv-vsphere/cloud-provider-vsphere:v1.33.1' },
  { kubernetes: '1.32', version: 'v1.32.3', image: 'registry.k8s.io/cloud-pv-vsphere/cloud-provider-vsphere:v1.32.3' },
  { kubernetes: '1.31', version: 'v1.31.1', image: 'registry.k8s.io/cloud-pv-vsphere/cloud-provider-vsphere:v1.31.1' },
  { kubernetes: '1.30', version: 'v1.30.2', image: 'registry.k8s.io/cloud-pv-vsphere/cloud-provider-vsphere:v1.30.2' },
  { kubernetes: '1.29', version: 'v1.29.2', image: 'registry.k8s.io/cloud-pv-vsphere/cloud-provider-vsphere:v1.29.2' },
  // 1.28 and 1.27 have left the README's matrix; their releases and release
  // manifests remain (tags v1.28.1, v1.27.0). v1.27.0 still ran the old
  // gcr.io image; the move to registry.k8s.io came with v1.28.1.
  { kubernetes: '1.28', version: 'v1.28.1', image: 'registry.k8s.io/cloud-pv-vsphere/cloud-provider-vsphere:v1.28.1' },
  { kubernetes: '1.27', version: 'v1.27.0', image: 'gcr.io/cloud-provider-vsphere/cpi/release/manager:v1.27.0' },
];

interface CsiRelease {
  /** Newest patch release of the line. */
  version: string;
  /** Oldest and newest Kubernetes minor the release notes name. */
  kubernetes: { min: string; max: string };
  image: string;
  /** The oldest vCenter and ESXi it runs on, as apiVersion "X.Y.U". */
  vsphere: VsphereMinimum;
}

export interface VsphereMinimum {
  vcenter: string;
  esxi: string;
}

// The oldest vSphere every CSI 2.x/3.x release runs on: 6.7 U3, vCenter and
// ESXi alike. The driver enforces it in code: the controller's Init calls
// CheckAPI(About.ApiVersion, MinSupportedVCenterMajor, …Minor, …Patch) with
// 6, 7, 3 (pkg/csi/service/common/constants.go and
// pkg/csi/service/vanilla/controller.go of kubernetes-sigs/vsphere-csi-driver)
// and exits below it. The README says the same: "vSphere CSI driver requires
// vSphere 6.7 U3 or higher in order to operate". ESXi: the driver's vSphere
// compatibility matrix lists 6.7 U3 hosts as the oldest.
const CNS_MINIMUM: VsphereMinimum = { vcenter: '6.7.3', esxi: '6.7.3' };

/** A CSI feature that needs a newer vSphere than the driver itself. */
export interface VsphereFeature {
  feature: string;
  /** The StorageClass/PVC setting or command that uses it, for messages. */
  usedBy: string;
  vsphere: string;
  /** Who must be at that release: vCenter and every node VM's host, or vCenter alone. */
  scope: 'vcenter+esxi' | 'vcenter';
}

// Each needs vCenter and the ESXi hosts at that release; below it the driver
// runs but refuses the operation. Sources: the driver's supported features
// matrix (https://vsphere-csi-driver.sigs.k8s.io/supported_features_matrix.html)
// as restated in Google Distributed Cloud's "Using the vSphere CSI driver"
// (offline expansion 7.0 U1, online 7.0 U2, snapshots 7.0 U3, "both vCenter
// Server and ESXi"); snapshots are also gated in code by
// SnapshotSupportedVCenterMajor/Minor/Patch = 7, 0, 3 (constants.go above,
// the driver answering "VC version does not support snapshot operations").
// ReadWriteMany file volumes on vSAN Max or HCI Mesh (remote vSAN)
// datastores: vCenter 8.0 U3 (a vSAN File Service capability of vCenter),
// per the driver's file volume documentation.
export const CSI_VSPHERE_FEATURES: readonly VsphereFeature[] = [
  { feature: 'offline volume expansion', usedBy: 'allowVolumeExpansion', vsphere: '7.0.1', scope: 'vcenter+esxi' },
  {
    feature: 'online volume expansion',
    usedBy: 'allowVolumeExpansion on a volume in use',
    vsphere: '7.0.2',
    scope: 'vcenter+esxi',
  },
  { feature: 'volume snapshots', usedBy: 'VolumeSnapshot', vsphere: '7.0.3', scope: 'vcenter+esxi' },
  {
    feature: 'ReadWriteMany volumes on vSAN Max or HCI Mesh',
    usedBy: '--access-mode RWX on those datastores',
    vsphere: '8.0.3',
    scope: 'vcenter',
  },
];

// Virtual hardware 15 (ESXi 6.7 U2 and later) is the oldest the driver
// supports on node VMs: the CSI driver's prerequisites ("virtual machine
// hardware version 15 or later") in VMware's vSphere Container Storage
// Plug-in documentation, and what OpenShift's
// vsphere-problem-detector checks on every node VM.
export const MIN_VM_HARDWARE = 15;

// Newest line first; the default for a cluster is the first row whose range
// holds its minor. Ranges are the "Supported/Recommended Kubernetes" lines of
// each release's notes (https://github.com/kubernetes-sigs/vsphere-csi-driver/releases);
// patch releases carry no range of their own and inherit the line's.
// Images are from each tag's manifests/vanilla/vsphere-csi-driver.yaml.
const CSI_RELEASES: readonly CsiRelease[] = [
  // v3.8.0 notes: "Minimum: 1.34, Maximum: 1.36" (read from the mirror at
  // https://newreleases.io/project/github/kubernetes-sigs/vsphere-csi-driver/release/v3.8.0).
  // The v3.8.0 tag was not in the snapshot examined (only v3.8.0-rc.1); the
  // image name follows v3.4.0+ and is unverified for this tag.
  {
    version: 'v3.8.0',
    kubernetes: { min: '1.34', max: '1.36' },
    image: 'registry.k8s.io/csi-vsphere/driver:v3.8.0',
    vsphere: CNS_MINIMUM,
  },
  // v3.7.0: 1.33–1.35, v3.6.0: 1.32–1.34, v3.5.0: 1.31–1.33 — as quoted from
  // the release notes in https://github.com/vsphere-tmm/helm-charts/issues/106
  // (secondary source; the GitHub release pages themselves were not readable
  // here). Consistent with each tag's k8s.io/api (v0.35, v0.34, v0.33).
  {
    version: 'v3.7.3',
    kubernetes: { min: '1.33', max: '1.35' },
    image: 'registry.k8s.io/csi-vsphere/driver:v3.7.3',
    vsphere: CNS_MINIMUM,
  },
  {
    version: 'v3.6.3',
    kubernetes: { min: '1.32', max: '1.34' },
    image: 'registry.k8s.io/csi-vsphere/driver:v3.6.3',
    vsphere: CNS_MINIMUM,
  },
  {
    version: 'v3.5.1',
    kubernetes: { min: '1.31', max: '1.33' },
    image: 'registry.k8s.io/csi-vsphere/driver:v3.5.1',
    vsphere: CNS_MINIMUM,
  },
  // v3.4.0 (added 1.32) and v3.2.0 (added 1.29) are left out: no published
  // range for them could be found. Both stay installable with --version.
  // v3.3.1 notes: "Supported Kubernetes Releases — Minimum: 1.27, Maximum:
  // 1.30" (https://github.com/kubernetes-sigs/vsphere-csi-driver/releases/tag/v3.3.1,
  // as quoted in https://gitlab.com/sylva-projects/sylva-core/-/merge_requests/2615).
  {
    version: 'v3.3.1',
    kubernetes: { min: '1.27', max: '1.30' },
    image: 'gcr.io/cloud-provider-vsphere/csi/release/driver:v3.3.1',
    vsphere: CNS_MINIMUM,
  },
];

export interface ResolveOptions {
  /** `--version`: `v1.31.0` or `1.31.0`. */
  version?: string;
  /** Replaces UPSTREAM_BASE_URL (see MANIFEST_BASE_URL_ENV). */
  baseUrl?: string;
}

export interface ResolvedRelease {
  component: Component;
  /** Normalised with a leading "v". */
  version: string;
  /** The manifests to apply, in order. */
  urls: string[];
  /** The driver image the release runs; unknown for versions not in the table. */
  image?: string;
  /** Kubernetes minor of the cluster, "1.NN". */
  kubernetesMinor: string;
  /** The table names this release. */
  known: boolean;
  /** The table says this release supports the cluster's minor. */
  supported: boolean;
  /** The range the table covers, e.g. "1.27–1.36", for messages. */
  supportedRange: string;
}

interface Semver {
  major: number;
  minor: number;
  patch: number;
  pre?: string;
}

const RELEASE_VERSION = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?$/;

function parseReleaseVersion(value: string, component: Component): Semver {
  const m = RELEASE_VERSION.exec(value.trim());
  if (!m) {
    const example = component === 'cpi' ? 'v1.31.1' : 'v3.7.3';
    throw new UsageError(`invalid --version "${value}": expected a release version such as ${example}`);
  }
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), pre: m[4] };
}

function formatVersion(v: Semver): string {
  return `v${v.major}.${v.minor}.${v.patch}${v.pre ? `-${v.pre}` : ''}`;
}

/**
 * The "1.NN" minor of a Kubernetes version as the API server reports it:
 * "v1.31.4", "1.31", "v1.31.4+k3s1", "v1.30.2-eks-1552ad0".
 */
export function kubernetesMinor(k8sVersion: string): string {
  const m = /^v?(\d+)\.(\d+)(?:\.\d+)?(?:[-+].*)?$/.exec(k8sVersion.trim());
  if (!m) throw new VkError(`cannot read the Kubernetes version "${k8sVersion}"`);
  return `${Number(m[1])}.${Number(m[2])}`;
}

function minorKey(minor: string): number {
  const [major, min] = minor.split('.').map(Number);
  return major * 1000 + min;
}

function inRange(minor: string, range: { min: string; max: string }): boolean {
  const k = minorKey(minor);
  return k >= minorKey(range.min) && k <= minorKey(range.max);
}

/** Validates a manifest base URL and drops trailing slashes. */
export function normaliseBaseUrl(baseUrl: string | undefined): string {
  if (baseUrl === undefined || baseUrl.trim() === '') return UPSTREAM_BASE_URL;
  let url: URL;
  try {
    url = new URL(baseUrl.trim());
  } catch {
    throw new UsageError(`invalid ${MANIFEST_BASE_URL_ENV} "${baseUrl}": expected an http(s) URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`invalid ${MANIFEST_BASE_URL_ENV} "${baseUrl}": expected an http(s) URL`);
  }
  return url.toString().replace(/\/+$/, '');
}

/** The manifest base URL from the environment (VK_MANIFEST_BASE_URL), or upstream. */
export function manifestBaseUrl(env: NodeJS.ProcessEnv): string {
  return normaliseBaseUrl(env[MANIFEST_BASE_URL_ENV]);
}

function cpiUrls(base: string, v: Semver): string[] {
  const tag = formatVersion(v);
  return [`${base}/${CPI_REPO}/${tag}/releases/v${v.major}.${v.minor}/vsphere-cloud-controller-manager.yaml`];
}

function csiUrls(base: string, v: Semver): string[] {
  const dir = `${base}/${CSI_REPO}/${formatVersion(v)}/manifests/vanilla`;
  return [`${dir}/namespace.yaml`, `${dir}/vsphere-csi-driver.yaml`];
}

function cpiRange(): string {
  return `${CPI_RELEASES[CPI_RELEASES.length - 1].kubernetes}–${CPI_RELEASES[0].kubernetes}`;
}

function csiRange(): string {
  const mins = CSI_RELEASES.map((r) => r.kubernetes.min).sort((a, b) => minorKey(a) - minorKey(b));
  const maxs = CSI_RELEASES.map((r) => r.kubernetes.max).sort((a, b) => minorKey(a) - minorKey(b));
  return `${mins[0]}–${maxs[maxs.length - 1]}`;
}

function outOfRange(component: Component, minor: string, range: string): VkError {
  const name = component === 'cpi' ? 'vSphere CPI' : 'vSphere CSI driver';
  return new VkError(`no ${name} release known to support Kubernetes ${minor} (vk knows ${range})`, {
    hint: `pass --version to install a specific ${component.toUpperCase()} release anyway, or --manifest FILE|URL`,
  });
}

/**
 * The CPI release for a cluster: the one matching its Kubernetes minor, or
 * the pinned `version`. A pinned version is taken as given (known/supported
 * say what the table thinks of it; the caller decides whether to warn).
 */
export function resolveCpi(k8sVersion: string, opts: ResolveOptions = {}): ResolvedRelease {
  const minor = kubernetesMinor(k8sVersion);
  const base = normaliseBaseUrl(opts.baseUrl);
  const range = cpiRange();
  if (opts.version !== undefined) {
    const v = parseReleaseVersion(opts.version, 'cpi');
    if (v.major !== 1) {
      throw new UsageError(`invalid --version "${opts.version}" for the CPI: its releases are numbered v1.NN.x`);
    }
    const version = formatVersion(v);
    const row = CPI_RELEASES.find((r) => r.version === version);
    return {
      component: 'cpi',
      version,
      urls: cpiUrls(base, v),
      image: row?.image,
      kubernetesMinor: minor,
      known: row !== undefined,
      supported: `${v.major}.${v.minor}` === minor && CPI_RELEASES.some((r) => r.kubernetes === minor),
      supportedRange: range,
    };
  }
  const row = CPI_RELEASES.find((r) => r.kubernetes === minor);
  if (!row) throw outOfRange('cpi', minor, range);
  return {
    component: 'cpi',
    version: row.version,
    urls: cpiUrls(base, parseReleaseVersion(row.version, 'cpi')),
    image: row.image,
    kubernetesMinor: minor,
    known: true,
    supported: true,
    supportedRange: range,
  };
}

/**
 * The CSI release for a cluster: the newest whose published range holds its
 * Kubernetes minor, or the pinned `version`.
 */
export function resolveCsi(k8sVersion: string, opts: ResolveOptions = {}): ResolvedRelease {
  const minor = kubernetesMinor(k8sVersion);
  const base = normaliseBaseUrl(opts.baseUrl);
  const range = csiRange();
  if (opts.version !== undefined) {
    const v = parseReleaseVersion(opts.version, 'csi');
    if (v.major < 2) {
      throw new UsageError(
        `invalid --version "${opts.version}" for the CSI driver: its releases are numbered v2.x/v3.x (v1.NN is a CPI or Kubernetes version)`,
      );
    }
    const version = formatVersion(v);
    const row = CSI_RELEASES.find((r) => r.version === version);
    // A patch release of a line inherits the line's range.
    const line = csiLine(v);
    return {
      component: 'csi',
      version,
      urls: csiUrls(base, v),
      image: row?.image,
      kubernetesMinor: minor,
      known: row !== undefined,
      supported: line !== undefined && inRange(minor, line.kubernetes),
      supportedRange: range,
    };
  }
  const row = CSI_RELEASES.find((r) => inRange(minor, r.kubernetes));
  if (!row) throw outOfRange('csi', minor, range);
  return {
    component: 'csi',
    version: row.version,
    urls: csiUrls(base, parseReleaseVersion(row.version, 'csi')),
    image: row.image,
    kubernetesMinor: minor,
    known: true,
    supported: true,
    supportedRange: range,
  };
}

/** The newest CSI release of the table (the fallback default when the cluster's version is unknown). */
export function newestCsiRelease(): string {
  return CSI_RELEASES[0].version;
}

/** Every CSI release the table can pick, newest first, as plain data (for tests and docs). */
export function csiReleaseTable(): readonly {
  version: string;
  kubernetes: { min: string; max: string };
  image: string;
  vsphere: VsphereMinimum;
}[] {
  return CSI_RELEASES;
}

/**
 * The CSI release `vk install csi` installs on a cluster of this Kubernetes
 * version; `vk generate csi` writes its config for the same release.
 */
export function defaultCsiVersion(k8sVersion: string): string {
  return resolveCsi(k8sVersion).version;
}

/** The whole table, one row per Kubernetes minor, for `vk doctor` and the README. */
export function compatibilityTable(): { kubernetes: string; cpi?: string; csi?: string }[] {
  const minors = new Set<string>(CPI_RELEASES.map((r) => r.kubernetes));
  for (const r of CSI_RELEASES) {
    for (let k = minorKey(r.kubernetes.min); k <= minorKey(r.kubernetes.max); k++) {
      minors.add(`${Math.floor(k / 1000)}.${k % 1000}`);
    }
  }
  return [...minors]
    .sort((a, b) => minorKey(b) - minorKey(a))
    .map((kubernetes) => ({
      kubernetes,
      cpi: CPI_RELEASES.find((r) => r.kubernetes === kubernetes)?.version,
      csi: CSI_RELEASES.find((r) => inRange(kubernetes, r.kubernetes))?.version,
    }));
}

/** The oldest vCenter and ESXi a CSI release runs on (a release the table does not know: the driver's own 6.7 U3). */
export function csiVsphereMinimum(version: string | undefined): VsphereMinimum {
  const v =
    version !== undefined && RELEASE_VERSION.test(version.trim()) ? parseReleaseVersion(version, 'csi') : undefined;
  return (v && csiLine(v))?.vsphere ?? CNS_MINIMUM;
}

/** The table's row of a release's line (same major.minor): patch releases inherit its range and minimum. */
function csiLine(v: Semver): CsiRelease | undefined {
  return CSI_RELEASES.find((r) => {
    const lv = parseReleaseVersion(r.version, 'csi');
    return lv.major === v.major && lv.minor === v.minor;
  });
}
