// What `vk install cpi` and `vk install csi` share: choosing and preparing the
// release manifest (placeholders dropped, images rewritten, vk's labels
// stamped), the driver config objects from the generate step, the result
// document, and a list-and-watch waiter over every object of a kind.

import type { DryRunMode } from '../core/step.js';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Context } from '../core/context.js';
import { UsageError, InterruptedError } from '../core/errors.js';
import { applyPrune, type PrunedObject, type UninstallObject } from './uninstall.js';
import type { KubeClient } from '../kube/client.js';
import type { ApplyResult as KubeApplyResult } from '../kube/apply.js';
import { manifestBaseUrl, resolveCpi, resolveCsi, type Component } from './manifests/compatibility.js';
import { rewriteImages, validateImageRegistry } from './manifests/images.js';
import {
  DEFAULT_DOWNLOAD_TIMEOUT_MS,
  loadManifest,
  manifestSourceFromFlag,
  type ManifestSource,
} from './manifests/load.js';
import type { KubeObject } from './manifests/objects.js';
import {
  cpiVersionOf,
  csiVersionOf,
  dropPlaceholders,
  stampManagedBy,
  type ManagedComponent,
} from './manifests/transforms.js';

/** --dry-run's mode (defined with the flag). */
export type DryRun = DryRunMode;

export interface InstallOptions {
  /** --version */
  version?: string;
  /** --manifest FILE|URL */
  manifest?: string;
  /** --image-registry HOST[/PATH] */
  imageRegistry?: string;
  /** --timeout, for every wait together. */
  timeoutMs: number;
  dryRun: DryRun;
  /** --force-conflicts */
  force: boolean;
}

export interface PreparedManifest {
  component: Component;
  version: string;
  kubernetesVersion: string;
  /** Where the objects came from: URLs or a file. */
  source: string[];
  objects: KubeObject[];
}

/** Rejects bad flags before any request. */
export function validateInstallOptions(opts: InstallOptions): void {
  if (opts.imageRegistry !== undefined) validateImageRegistry(opts.imageRegistry);
  if (!(opts.timeoutMs > 0)) throw new UsageError('--timeout must be a positive duration such as 5m or 90s');
}

/**
 * The release manifest for the cluster (or --manifest), ready to apply:
 * example config dropped, images rewritten for --image-registry, every object
 * labelled as vk's with the component and version.
 */
export async function prepareManifest(
  ctx: Context,
  kube: KubeClient,
  component: Component,
  opts: InstallOptions,
): Promise<PreparedManifest> {
  const { gitVersion } = await kube.version();
  let source: ManifestSource;
  let version: string | undefined;
  if (opts.manifest !== undefined) {
    source = manifestSourceFromFlag(opts.manifest);
  } else {
    const resolve = component === 'cpi' ? resolveCpi : resolveCsi;
    const release = resolve(gitVersion, { version: opts.version, baseUrl: manifestBaseUrl(ctx.env) });
    if (!release.supported) {
      ctx.log.warn(
        `${component.toUpperCase()} ${release.version} is not known to support Kubernetes ${release.kubernetesMinor} ` +
          `(vk's table covers ${release.supportedRange}); installing it as asked`,
      );
    }
    source = { urls: release.urls };
    version = release.version;
  }
  let objects = await loadManifest(source, { timeoutMs: DEFAULT_DOWNLOAD_TIMEOUT_MS, signal: ctx.signal });
  version ??= opts.version ?? (component === 'cpi' ? cpiVersionOf(objects) : csiVersionOf(objects)) ?? 'unknown';
  objects = dropPlaceholders(objects);
  if (opts.imageRegistry) objects = rewriteImages(objects, opts.imageRegistry);
  return {
    component,
    version,
    kubernetesVersion: gitVersion,
    source: 'file' in source ? [source.file] : 'url' in source ? [source.url] : source.urls,
    objects: stampManagedBy(objects, { component, version }),
  };
}

export interface AppliedObject {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  action: KubeApplyResult['action'] | 'would apply';
}

export interface Rollout {
  kind: 'DaemonSet' | 'Deployment';
  namespace: string;
  name: string;
  /** Seconds spent waiting; 0 when it was ready already. */
  seconds: number;
}

export interface InstallResult<V> {
  component: ManagedComponent;
  version: string;
  kubernetesVersion: string;
  manifest: string[];
  dryRun: DryRun;
  objects: AppliedObject[];
  /** vk's objects of an earlier release this one does not carry, removed (or, dry run, not). */
  pruned: PrunedObject[];
  rollouts: Rollout[];
  verification: V | null;
}

export const appliedObject = (r: KubeApplyResult): AppliedObject => ({
  apiVersion: r.apiVersion,
  kind: r.kind,
  ...(r.namespace ? { namespace: r.namespace } : {}),
  name: r.name,
  action: r.action,
});

/** "12 objects: 3 created, 1 configured, 8 unchanged" (", 2 pruned" when an upgrade removed some). */
export function summarizeInstall(r: Pick<InstallResult<unknown>, 'objects' | 'pruned'>): string {
  const pruned = r.pruned.filter((o) => o.action !== 'already gone');
  if (pruned.length === 0) return summarizeApplied(r.objects);
  const verb = pruned[0]!.action === 'would prune' ? 'would be pruned' : 'pruned';
  return `${summarizeApplied(r.objects)}; ${pruned.length} ${verb}`;
}

/** "12 objects: 3 created, 1 configured, 8 unchanged". */
export function summarizeApplied(objects: AppliedObject[]): string {
  const counts = new Map<string, number>();
  for (const o of objects) counts.set(o.action, (counts.get(o.action) ?? 0) + 1);
  const parts = [...counts].map(([a, n]) => `${n} ${a}`);
  return `${objects.length} objects: ${parts.join(', ')}`;
}

/** Waits for a workload rollout; returns the time it took. */
export async function timedRollout(
  kube: KubeClient,
  kind: Rollout['kind'],
  ref: { namespace: string; name: string },
  deadline: number,
  onProgress?: (missing: string) => void,
): Promise<Rollout> {
  const started = performance.now();
  const opts = { timeoutMs: Math.max(1, deadline - Date.now()), onProgress };
  if (kind === 'DaemonSet') await kube.wait.daemonSetRollout(ref, opts);
  else await kube.wait.deploymentRollout(ref, opts);
  return { kind, ...ref, seconds: Math.round((performance.now() - started) / 100) / 10 };
}

/**
 * Lists every object of a kind, then watches until `done` holds for all of
 * them (by name) or the deadline passes; returns the last state by name
 * either way. One watch for the whole set, not one per object.
 */
export async function waitForAll<T extends KubernetesObject>(
  kube: KubeClient,
  apiVersion: string,
  kind: string,
  names: string[],
  done: (obj: T | undefined) => boolean,
  deadline: number,
): Promise<Map<string, T | undefined>> {
  const state = new Map<string, T | undefined>(names.map((n) => [n, undefined]));
  const allDone = () => names.every((n) => done(state.get(n)));
  const timer = new AbortController();
  const t = setTimeout(() => timer.abort(), Math.max(1, deadline - Date.now()));
  const signal = AbortSignal.any([timer.signal, kube.signal]);
  try {
    while (!signal.aborted) {
      const list = await kube.list<T>(apiVersion, kind, { signal });
      for (const o of list.items) if (state.has(o.metadata!.name!)) state.set(o.metadata!.name!, o);
      if (allDone()) return state;
      const stop = new AbortController();
      let rv = list.resourceVersion;
      await kube
        .watch<T>(
          apiVersion,
          kind,
          { resourceVersion: rv },
          (e) => {
            if (e.type === 'ERROR') return stop.abort();
            rv = e.object.metadata?.resourceVersion ?? rv;
            const name = e.object.metadata?.name;
            if (e.type === 'BOOKMARK' || !name || !state.has(name)) return;
            state.set(name, e.type === 'DELETED' ? undefined : e.object);
            if (allDone()) stop.abort();
          },
          AbortSignal.any([signal, stop.signal]),
        )
        .catch((err) => {
          if (!stop.signal.aborted && !signal.aborted) throw err;
        });
      if (allDone()) return state;
    }
  } catch (err) {
    if (!signal.aborted) throw err;
  } finally {
    clearTimeout(t);
  }
  if (kube.signal.aborted) throw new InterruptedError();
  return state;
}

/**
 * An install's one line, as vk up shows it: "v3.8.0: 12 objects: 12 unchanged",
 * "v3.8.0: 12 objects would be applied (client dry run)", "… (server dry run)".
 */
export function installStepSummary(r: InstallResult<unknown>): string {
  if (r.dryRun === 'client') {
    const pruned = r.pruned.filter((o) => o.action !== 'already gone').length;
    return `${r.version}: ${r.objects.length} objects would be applied${pruned ? `; ${pruned} would be pruned` : ''} (client dry run)`;
  }
  return `${r.version}: ${summarizeInstall(r)}${r.dryRun === 'server' ? ' (server dry run)' : ''}`;
}

/** What an install's --dry-run prints of its plan: the release and the objects, by reference only. */
export function describeInstallPlan(
  manifest: Pick<PreparedManifest, 'version' | 'source'>,
  objects: readonly KubeObject[],
  prune: readonly UninstallObject[],
) {
  return {
    version: manifest.version,
    manifest: manifest.source,
    objects: objects.map(refOf),
    prune,
  };
}

/** An object by apiVersion, kind, namespace and name only. */
export const refOf = (o: KubeObject) => ({
  apiVersion: o.apiVersion,
  kind: o.kind,
  ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}),
  name: o.metadata.name,
});

/** A client dry run's result: the objects as they would be applied and the earlier release's as they would be pruned; nothing is sent. */
export async function clientDryRun<B extends object>(
  kube: KubeClient,
  base: B,
  objects: readonly KubeObject[],
  prune: readonly UninstallObject[],
) {
  return {
    ...base,
    objects: objects.map((o) => ({ ...refOf(o), action: 'would apply' as const })),
    pruned: await applyPrune(kube, prune, true),
    rollouts: [],
    verification: null,
  };
}
