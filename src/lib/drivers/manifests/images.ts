// Image references in a manifest and `--image-registry HOST[/PATH]`.
//
// A rewrite keeps everything after the source registry host — the usual
// convention of registry mirrors and pull-through caches (Harbor, Artifactory,
// `crane copy`/`skopeo sync` scripts) — and swaps the host for HOST[/PATH]:
//
//   registry.k8s.io/cloud-pv-vsphere/cloud-provider-vsphere:v1.31.0
//     → my.registry:5000/mirror/cloud-pv-vsphere/cloud-provider-vsphere:v1.31.0
//   gcr.io/cloud-provider-vsphere/csi/release/driver:v3.3.1
//     → my.registry:5000/mirror/cloud-provider-vsphere/csi/release/driver:v3.3.1
//   registry.k8s.io/sig-storage/csi-attacher:v4.5.0
//     → my.registry:5000/mirror/sig-storage/csi-attacher:v4.5.0
//   busybox (Docker Hub)  → my.registry:5000/mirror/library/busybox
//
// Tags and digests are kept as they are, so a digest-pinned image still
// verifies against the mirrored copy.

import { UsageError } from '../../core/errors.js';
import { containersOf, podSpecOf, type KubeObject } from './objects.js';

export interface ImageRef {
  /** Registry host[:port]; "docker.io" when the reference names none. */
  registry: string;
  /** Repository path below the registry ("library/busybox" for "busybox"). */
  repository: string;
  tag?: string;
  digest?: string;
}

// Docker's rule: the first component is a registry host when it contains a
// dot or a port, or is "localhost"; otherwise the reference is on Docker Hub.
function isRegistryHost(component: string): boolean {
  return component.includes('.') || component.includes(':') || component === 'localhost';
}

export function parseImageRef(image: string): ImageRef {
  let rest = image.trim();
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const slash = rest.indexOf('/');
  if (slash > 0 && isRegistryHost(rest.slice(0, slash))) {
    return { registry: rest.slice(0, slash), repository: rest.slice(slash + 1), tag, digest };
  }
  return { registry: 'docker.io', repository: slash < 0 ? `library/${rest}` : rest, tag, digest };
}

const HOST =
  /^(?:localhost|[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*)(?::\d{1,5})?$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;

/**
 * Validates `--image-registry HOST[:PORT][/PATH]` and returns it without a
 * trailing slash. Rejected: a scheme, a tag or digest, upper-case path parts.
 */
export function validateImageRegistry(value: string): string {
  const usage = (why: string) =>
    new UsageError(`invalid --image-registry "${value}": ${why}`, {
      hint: 'write it as HOST[:PORT][/PATH], e.g. --image-registry my.registry:5000/mirror',
    });
  const trimmed = value.trim().replace(/\/+$/, '');
  if (trimmed === '') throw usage('it is empty');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) throw usage('drop the scheme (no http:// or https://)');
  if (trimmed.includes('@')) throw usage('a registry takes no digest');
  const [host, ...path] = trimmed.split('/');
  if (!HOST.test(host)) throw usage(`"${host}" is not a registry host[:port]`);
  for (const part of path) {
    if (part.includes(':')) throw usage('a registry takes no tag');
    if (!PATH_COMPONENT.test(part)) throw usage(`"${part}" is not a valid repository path component (lower case)`);
  }
  return trimmed;
}

/** One image moved under `registry` (already validated), keeping path, tag and digest. */
export function rewriteImage(image: string, registry: string): string {
  if (image.startsWith(`${registry}/`)) return image;
  const ref = parseImageRef(image);
  return `${registry}/${ref.repository}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/**
 * A copy of `objects` with every container image (containers,
 * initContainers, ephemeralContainers of every workload's pod template)
 * under `registry` (`--image-registry`, validated here).
 */
export function rewriteImages(objects: readonly KubeObject[], registry: string): KubeObject[] {
  const target = validateImageRegistry(registry);
  return objects.map((obj) => {
    if (!podSpecOf(obj)) return obj;
    const copy = structuredClone(obj);
    for (const c of containersOf(podSpecOf(copy)!)) {
      if (typeof c.image === 'string' && c.image !== '') c.image = rewriteImage(c.image, target);
    }
    return copy;
  });
}

/** Every distinct image the objects run, in manifest order (what a mirror must hold). */
export function imagesOf(objects: readonly KubeObject[]): string[] {
  const seen = new Set<string>();
  for (const obj of objects) {
    const spec = podSpecOf(obj);
    if (!spec) continue;
    for (const c of containersOf(spec)) if (typeof c.image === 'string' && c.image !== '') seen.add(c.image);
  }
  return [...seen];
}
