// `vk doctor` drift checks, one per driver: the release the cluster runs
// (the driver container's image tag) against the one vk's compatibility table
// pairs with the cluster's Kubernetes version, and every container image of
// the installed workloads against the release manifest they came from.
//
// Version: a release the table does not pair with the cluster's minor fails;
// an older release that still supports it warns with the upgrade command;
// the table's release (or a newer one that supports the minor) passes.
//
// Images: the release manifest is downloaded as `vk install` does (by tag,
// VK_MANIFEST_BASE_URL honoured) for the release vk installed (the
// vk.io/version label; the running tag when there is none), and each
// container of its DaemonSets and Deployments is compared with the live one.
// vk install's only image transform is --image-registry, which moves every
// image under one HOST[/PATH] and keeps the repository path and tag; the
// registry a live workload was moved under is read back from its own images
// (the prefix in front of the manifest's repository path most of them share)
// and applied to the manifest's images before comparing, so a deliberate
// mirror is not drift while an image under another path, another tag or a
// half-done rewrite is. When the manifest cannot be downloaded (air-gapped,
// no mirror set) the images are not compared and the detail says so.

import type { KubeClient } from '../kube/client.js';
import {
  kubernetesMinor,
  manifestBaseUrl,
  resolveCpi,
  resolveCsi,
  type Component,
} from '../drivers/manifests/compatibility.js';
import { parseImageRef, rewriteImage } from '../drivers/manifests/images.js';
import { loadManifest } from '../drivers/manifests/load.js';
import { containersOf, podSpecOf, type Container, type KubeObject } from '../drivers/manifests/objects.js';
import { VERSION_LABEL } from '../drivers/manifests/transforms.js';
import { check, type CheckResult } from './checks.js';
import { CPI_DAEMONSET, CSI_CONTROLLER } from '../drivers/names.js';

/** Downloads of the release manifest give up after this long (doctor should not hang on a dead network). */
const MANIFEST_TIMEOUT_MS = 10_000;

interface DriverWorkloads {
  component: Component;
  id: 'cpi-drift' | 'csi-drift';
  /** Where the driver's own image runs: the version is its tag. */
  driver: { kind: 'DaemonSet' | 'Deployment'; namespace: string; name: string; container: string };
}

const CPI: DriverWorkloads = {
  component: 'cpi',
  id: 'cpi-drift',
  driver: CPI_DAEMONSET,
};

const CSI: DriverWorkloads = {
  component: 'csi',
  id: 'csi-drift',
  driver: CSI_CONTROLLER,
};

/** One container whose image is not the release manifest's. */
export interface ImageDrift {
  /** "DaemonSet kube-system/vsphere-csi-node". */
  workload: string;
  container: string;
  /** undefined: the container is in the manifest but not in the cluster. */
  found?: string;
  /** undefined: the container is in the cluster but not in the manifest. */
  expected?: string;
}

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0]!;

/** Both drift checks; never throws. */
export async function driftChecks(
  client: KubeClient,
  k8sVersion: string,
  env: NodeJS.ProcessEnv,
): Promise<CheckResult[]> {
  return Promise.all([CPI, CSI].map((d) => driftCheck(client, k8sVersion, env, d)));
}

async function driftCheck(
  client: KubeClient,
  k8sVersion: string,
  env: NodeJS.ProcessEnv,
  d: DriverWorkloads,
): Promise<CheckResult> {
  const id = d.id;
  try {
    const live = await client.find<KubeObject>({
      apiVersion: 'apps/v1',
      kind: d.driver.kind,
      namespace: d.driver.namespace,
      name: d.driver.name,
    });
    if (!live) return check(id, 'skip', 'not installed');
    const driverImage = containersOf(podSpecOf(live) ?? {}).find((c) => c.name === d.driver.container)?.image;
    const running = driverImage ? parseImageRef(driverImage).tag : undefined;
    const version = versionVerdict(d.component, k8sVersion, running);
    const installed = live.metadata.labels?.[VERSION_LABEL];
    const manifestVersion = installed && /^v?\d+\.\d+\.\d+/.test(installed) ? installed : running;
    const images = manifestVersion
      ? await imageDrift(client, k8sVersion, env, d.component, manifestVersion)
      : { ok: false as const, reason: 'no release version to compare against' };

    const parts = [version.detail];
    let status = version.status;
    let fix = version.fix;
    if (!images.ok) {
      parts.push(`images not compared: ${images.reason}`);
    } else if (images.drift.length === 0) {
      parts.push(
        `${images.compared} container image${images.compared === 1 ? '' : 's'} as in the ${manifestVersion} manifest${images.registryNote}`,
      );
    } else {
      parts.push(
        `${images.drift.length} of ${images.compared} container images differ from the ${manifestVersion} manifest${images.registryNote}: ${images.drift.map(describeDrift).join('; ')}`,
      );
      if (status === 'pass') status = 'warn';
      const again = `vk install ${d.component} --version ${manifestVersion}`;
      const reapply = `restore them with ${again} (add the same --image-registry if one was used)`;
      fix = fix ? `${fix}; ${reapply}` : reapply;
    }
    return check(id, status, parts.join('; '), fix || undefined);
  } catch (err) {
    return check(id, 'fail', `cannot read: ${errorText(err)}`);
  }
}

function describeDrift(x: ImageDrift): string {
  if (x.found === undefined) return `${x.workload} container ${x.container} missing (expected ${x.expected})`;
  if (x.expected === undefined) return `${x.workload} container ${x.container} not in the manifest (found ${x.found})`;
  return `${x.workload} container ${x.container}: found ${x.found}, expected ${x.expected}`;
}

interface Verdict {
  status: CheckResult['status'];
  detail: string;
  fix?: string;
}

/** The running release against the table's pairing for the cluster's minor. */
export function versionVerdict(component: Component, k8sVersion: string, running: string | undefined): Verdict {
  const name = component === 'cpi' ? 'CPI' : 'CSI';
  const minor = kubernetesMinor(k8sVersion);
  const resolve = component === 'cpi' ? resolveCpi : resolveCsi;
  let wanted: string | undefined;
  try {
    wanted = resolve(k8sVersion).version;
  } catch {
    wanted = undefined;
  }
  const upgrade = wanted ? `vk install ${component} --version ${wanted}` : undefined;
  if (!running) {
    return {
      status: 'warn',
      detail: `${name} release unknown (the driver image has no tag)`,
      ...(upgrade ? { fix: upgrade } : {}),
    };
  }
  let supported = false;
  try {
    supported = resolve(k8sVersion, { version: running }).supported;
  } catch {
    supported = false;
  }
  if (!supported) {
    return {
      status: 'fail',
      detail:
        `${name} ${running} is not paired with Kubernetes ${minor} in vk's table` +
        (wanted ? ` (it pairs ${wanted})` : ' (no release known for it)'),
      fix: upgrade ?? `install a ${name} release that supports Kubernetes ${minor}`,
    };
  }
  if (wanted && compareVersions(running, wanted) < 0) {
    return {
      status: 'warn',
      detail: `${name} ${running} supports Kubernetes ${minor} but is older than ${wanted}, the release vk's table pairs with it`,
      fix: upgrade,
    };
  }
  return { status: 'pass', detail: `${name} ${running}, the release vk's table pairs with Kubernetes ${minor}` };
}

/** Orders "v1.2.3[-pre]" versions; a pre-release sorts before its release. */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const m = /^v?(\d+)\.(\d+)\.(\d+)(?:-(.+))?$/.exec(v.trim());
    return m ? { n: [Number(m[1]), Number(m[2]), Number(m[3])], pre: m[4] } : { n: [0, 0, 0], pre: v };
  };
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < 3; i++) if (x.n[i] !== y.n[i]) return x.n[i]! - y.n[i]!;
  if (x.pre === y.pre) return 0;
  if (x.pre === undefined) return 1;
  if (y.pre === undefined) return -1;
  return x.pre < y.pre ? -1 : 1;
}

type ImageOutcome =
  { ok: true; compared: number; drift: ImageDrift[]; registryNote: string } | { ok: false; reason: string };

async function imageDrift(
  client: KubeClient,
  k8sVersion: string,
  env: NodeJS.ProcessEnv,
  component: Component,
  version: string,
): Promise<ImageOutcome> {
  const resolve = component === 'cpi' ? resolveCpi : resolveCsi;
  let manifest: KubeObject[];
  try {
    const release = resolve(k8sVersion, { version, baseUrl: manifestBaseUrl(env) });
    manifest = await loadManifest({ urls: release.urls }, { timeoutMs: MANIFEST_TIMEOUT_MS });
  } catch (err) {
    return { ok: false, reason: `cannot read the ${version} manifest: ${errorText(err)}` };
  }
  const workloads = manifest.filter((o) => podSpecOf(o) && (o.kind === 'DaemonSet' || o.kind === 'Deployment'));
  const pairs: Array<{ workload: string; expected: Container[]; live: Container[] | undefined }> = [];
  for (const w of workloads) {
    const live = await client.find<KubeObject>({
      apiVersion: w.apiVersion,
      kind: w.kind,
      namespace: w.metadata.namespace,
      name: w.metadata.name,
    });
    pairs.push({
      workload: `${w.kind} ${w.metadata.namespace ? `${w.metadata.namespace}/` : ''}${w.metadata.name}`,
      expected: containersOf(podSpecOf(w)!),
      live: live ? containersOf(podSpecOf(live) ?? {}) : undefined,
    });
  }
  return compareImages(pairs);
}

/**
 * The containers whose image differs from the manifest's once the registry
 * rewrite the live images share (if any) is applied to the manifest's.
 * A workload missing from the cluster is not compared (the driver checks say
 * what is missing).
 */
export function compareImages(
  pairs: Array<{ workload: string; expected: Container[]; live: Container[] | undefined }>,
): ImageOutcome {
  const present = pairs.filter((p) => p.live !== undefined);
  const registry = inferRegistry(present.flatMap((p) => matchContainers(p.expected, p.live!)));
  const drift: ImageDrift[] = [];
  let compared = 0;
  for (const p of present) {
    for (const e of p.expected) {
      compared++;
      const l = p.live!.find((c) => c.name === e.name);
      const expected = registry && e.image ? rewriteImage(e.image, registry) : e.image;
      if (!l) drift.push({ workload: p.workload, container: e.name, expected });
      else if (l.image !== expected) drift.push({ workload: p.workload, container: e.name, found: l.image, expected });
    }
    for (const l of p.live!) {
      if (!p.expected.some((e) => e.name === l.name))
        drift.push({ workload: p.workload, container: l.name, found: l.image });
    }
  }
  return { ok: true, compared, drift, registryNote: registry ? ` under registry ${registry}` : '' };
}

function matchContainers(expected: Container[], live: Container[]): Array<{ expected: string; found: string }> {
  return expected.flatMap((e) => {
    const l = live.find((c) => c.name === e.name);
    return e.image && l?.image ? [{ expected: e.image, found: l.image }] : [];
  });
}

/**
 * The HOST[/PATH] an --image-registry rewrite moved the images under: for
 * each live image that ends with "/" + the manifest image's repository path
 * and tag (or digest) but is not the manifest's image, the prefix in front;
 * the one most images share wins. undefined when the images were not moved.
 */
export function inferRegistry(images: Array<{ expected: string; found: string }>): string | undefined {
  const counts = new Map<string, number>();
  let unmoved = 0;
  for (const { expected, found } of images) {
    if (expected === found) {
      unmoved++;
      continue;
    }
    const suffix = repositoryAndTag(expected);
    if (found.endsWith(`/${suffix}`)) {
      const prefix = found.slice(0, found.length - suffix.length - 1);
      counts.set(prefix, (counts.get(prefix) ?? 0) + 1);
    }
  }
  let best: string | undefined;
  let bestCount = 0;
  for (const [prefix, n] of counts) {
    if (n > bestCount) {
      best = prefix;
      bestCount = n;
    }
  }
  return best !== undefined && bestCount > unmoved ? best : undefined;
}

/** "sig-storage/csi-attacher:v4.12.0" of "registry.k8s.io/sig-storage/csi-attacher:v4.12.0". */
function repositoryAndTag(image: string): string {
  const ref = parseImageRef(image);
  return `${ref.repository}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}
