// Step: a StorageClass for the vSphere CSI driver, from names an admin knows.
// plan() resolves --datastore NAME to its ds:/// URL and checks --policy
// through PBM (one vCenter session), reads the existing classes, and decides
// what to write, including taking the default mark off the previous default;
// apply() writes it (server-side apply, then merge patches for the old
// defaults). list shows each class with the datastore name behind its URL.

import type { V1StorageClass } from '@kubernetes/client-node';
import { UsageError, VkError } from '../core/errors.js';
import type { Context } from '../core/context.js';
import type { KubeClient } from '../kube/client.js';
import type { DatastoreReport } from '../vsphere/datastores.js';
import {
  BETA_DEFAULT_CLASS_ANNOTATION,
  DEFAULT_CLASS_ANNOTATION,
  isDefaultStorageClass,
} from '../kube/storage-class.js';
import { CSI_DRIVER_NAME } from '../drivers/names.js';
import { vcenterConfigured } from '../settings/vsphere.js';
import type { Step } from '../core/step.js';

export const CSI_PROVISIONER = CSI_DRIVER_NAME;
export const reclaimPolicies = ['Delete', 'Retain'] as const;
export const bindingModes = ['Immediate', 'WaitForFirstConsumer'] as const;

export interface StorageClassInput {
  name: string;
  /** Datastore name, inventory path, or its ds:/// URL. */
  datastore?: string;
  policy?: string;
  isDefault?: boolean;
  fsType?: string;
  reclaimPolicy?: (typeof reclaimPolicies)[number];
  bindingMode?: (typeof bindingModes)[number];
  allowExpansion?: boolean;
  /** Zones (allowedTopologies): volumes only on datastores the zones' hosts mount, for pods in those zones. */
  zones?: string[];
  /** The tag category of the zones (default: the CPI's zone category, else the CSI driver's only one). */
  zoneCategory?: string;
}

export interface StorageClassPlan {
  action: 'create' | 'update' | 'unchanged';
  storageClass: V1StorageClass;
  /** The datastore behind datastoreurl, when resolved through vCenter. */
  datastore?: { name: string; url: string };
  /** Classes that lose the default mark. */
  clearDefault: string[];
  warnings: string[];
}

export interface StorageClassResult extends StorageClassPlan {
  dryRun: boolean;
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DS_URL = /^ds:\/\/\/\S+$/;

/** Rejects bad input before any request (exit 2). */
export function validateStorageClassInput(input: StorageClassInput): void {
  if (input.name.length > 253 || !DNS_SUBDOMAIN.test(input.name)) {
    throw new UsageError(`invalid StorageClass name "${input.name}"`, {
      hint: 'use a lower-case DNS name such as vsan-gold',
    });
  }
  if (input.fsType !== undefined && !/^[a-z0-9]+$/.test(input.fsType)) {
    throw new UsageError(`invalid --fstype "${input.fsType}"`, { hint: 'e.g. ext4 or xfs' });
  }
  if (input.datastore !== undefined && input.datastore.trim() === '') {
    throw new UsageError('--datastore is empty', { hint: 'pass a datastore name or its ds:/// URL' });
  }
  if (input.datastore?.startsWith('ds:') && !DS_URL.test(input.datastore)) {
    throw new UsageError(`invalid datastore URL "${input.datastore}"`, {
      hint: "datastore URLs look like ds:///vmfs/volumes/<uuid>/ ('vk datastores' shows them)",
    });
  }
  if (input.policy !== undefined && input.policy.trim() === '') {
    throw new UsageError('--policy is empty', { hint: 'pass a storage policy name' });
  }
  if (input.zones?.some((z) => z.trim() === '')) {
    throw new UsageError('--zone is empty', { hint: 'pass a zone tag name (vk topology lists them)' });
  }
  if (input.zoneCategory !== undefined && !input.zones?.length) {
    throw new UsageError('--zone-category needs --zone', { hint: 'pass the zones, e.g. --zone zone-a' });
  }
}

/** The StorageClass as it will be written. */
export function storageClassObject(
  input: StorageClassInput,
  datastoreUrl?: string,
  zones?: { key: string; values: string[] },
): V1StorageClass {
  const parameters: Record<string, string> = {};
  if (datastoreUrl) parameters.datastoreurl = datastoreUrl;
  if (input.policy) parameters.storagepolicyname = input.policy;
  if (input.fsType) parameters['csi.storage.k8s.io/fstype'] = input.fsType;
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: {
      name: input.name,
      ...(input.isDefault ? { annotations: { [DEFAULT_CLASS_ANNOTATION]: 'true' } } : {}),
    },
    provisioner: CSI_PROVISIONER,
    ...(Object.keys(parameters).length ? { parameters } : {}),
    reclaimPolicy: input.reclaimPolicy ?? 'Delete',
    volumeBindingMode: input.bindingMode ?? 'Immediate',
    allowVolumeExpansion: input.allowExpansion ?? false,
    ...(zones && zones.values.length
      ? { allowedTopologies: [{ matchLabelExpressions: [{ key: zones.key, values: [...zones.values] }] }] }
      : {}),
  };
}

/** Datastore by name, inventory path or URL; unknown names are an error listing the valid ones. */
export function chooseDatastore(datastores: DatastoreReport[], wanted: string): DatastoreReport {
  const hit = DS_URL.test(wanted)
    ? datastores.find((d) => sameUrl(d.url, wanted))
    : datastores.find((d) => d.name === wanted || d.path === wanted);
  if (hit) return hit;
  const names = [...new Set(datastores.map((d) => d.name))].sort();
  throw new VkError(`datastore "${wanted}" not found`, {
    hint: names.length ? `valid datastores: ${names.join(', ')}` : 'vCenter has no datastores',
  });
}

const sameUrl = (a: string, b: string) => a.replace(/\/+$/, '') === b.replace(/\/+$/, '');

/** A warning when some host of a cluster seeing the datastore does not mount it (volumes could not attach there). */
export function sharingWarning(ds: DatastoreReport): string | undefined {
  const partial = ds.clusters.filter((c) => !c.shared);
  if (partial.length === 0 && ds.clusters.length > 0) return undefined;
  if (ds.clusters.length === 0) {
    return `datastore ${ds.name} is not mounted by any host in a cluster; pods on other hosts cannot use its volumes`;
  }
  const c = partial[0]!;
  return `datastore ${ds.name} is mounted by ${c.mounted} of ${c.hosts} hosts of cluster ${c.name}; pods scheduled on the others cannot attach its volumes`;
}

/** Resolves names through vCenter, reads the cluster's classes, decides; writes nothing. */
export async function planStorageClass(
  ctx: Context,
  input: StorageClassInput,
  opts: { vcenter: boolean },
): Promise<StorageClassPlan> {
  validateStorageClassInput(input);
  const warnings: string[] = [];
  let datastoreUrl: string | undefined;
  let datastore: StorageClassPlan['datastore'];
  const needsVcenter = (input.datastore !== undefined && !DS_URL.test(input.datastore)) || input.policy !== undefined;
  if (needsVcenter && !opts.vcenter) {
    throw new UsageError(
      input.policy !== undefined
        ? '--policy is checked in vCenter, but no vCenter is configured'
        : `--datastore "${input.datastore}" is a name, resolved through vCenter, but no vCenter is configured`,
      { hint: 'pass --url or set GOVC_URL (or give the datastore as its ds:/// URL)' },
    );
  }
  if (input.datastore !== undefined) {
    if (opts.vcenter) {
      const session = await ctx.vsphere();
      const { listDatastores } = await import('../vsphere/datastores.js');
      const ds = chooseDatastore(await listDatastores(session.client), input.datastore);
      datastoreUrl = ds.url;
      datastore = { name: ds.name, url: ds.url };
      const warning = sharingWarning(ds);
      if (warning) warnings.push(warning);
    } else {
      datastoreUrl = input.datastore;
      warnings.push('no vCenter configured: the datastore URL was not checked');
    }
  }
  if (input.policy !== undefined) {
    const { listStoragePolicies } = await import('../vsphere/pbm.js');
    const policies = await listStoragePolicies(await ctx.vsphere());
    if (!policies.some((p) => p.name === input.policy)) {
      const names = policies.map((p) => p.name);
      throw new VkError(`storage policy "${input.policy}" not found`, {
        hint: names.length ? `valid policies: ${names.join(', ')}` : 'vCenter has no storage policies',
      });
    }
  }

  const kube = await ctx.kube();
  let zones: { key: string; values: string[] } | undefined;
  if (input.zones?.length) {
    const { resolveZones } = await import('../topology/topology.js');
    const selection = await resolveZones(kube, input.zones, input.zoneCategory);
    warnings.push(...selection.warnings);
    zones = selection;
  }
  const desired = storageClassObject(input, datastoreUrl, zones);
  const classes = (await kube.list<V1StorageClass>('storage.k8s.io/v1', 'StorageClass')).items;
  const existing = classes.find((c) => c.metadata?.name === input.name);
  if (existing) {
    // Kubernetes refuses changes to these fields: say so before sending anything.
    // The apiserver returns parameters with their keys sorted (a Go map): compare them so.
    const immutable = (sc: V1StorageClass) =>
      JSON.stringify([
        sc.provisioner,
        Object.entries(sc.parameters ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        sc.reclaimPolicy ?? 'Delete',
        sc.volumeBindingMode ?? 'Immediate',
        sc.allowedTopologies ?? [],
      ]);
    if (immutable(existing) !== immutable(desired)) {
      throw new VkError(`storageclass "${input.name}" already exists with other provisioner, parameters or policies`, {
        hint: `those fields cannot change; delete it first (kubectl delete storageclass ${input.name}) or pick another name`,
      });
    }
  }
  const clearDefault = input.isDefault
    ? classes
        .filter((c) => c.metadata?.name !== input.name && isDefaultStorageClass(c))
        .map((c) => c.metadata!.name!)
        .sort()
    : [];
  const unchanged =
    existing !== undefined &&
    clearDefault.length === 0 &&
    (existing.allowVolumeExpansion ?? false) === desired.allowVolumeExpansion &&
    (!input.isDefault || isDefaultStorageClass(existing));
  return {
    action: existing ? (unchanged ? 'unchanged' : 'update') : 'create',
    storageClass: desired,
    ...(datastore ? { datastore } : {}),
    clearDefault,
    warnings,
  };
}

/** Writes the class, then takes the default mark off the previous default(s). */
export async function applyStorageClass(
  kube: KubeClient,
  plan: StorageClassPlan,
  opts: { dryRun: boolean; log: (line: string) => void },
): Promise<StorageClassResult> {
  const name = plan.storageClass.metadata!.name!;
  if (!opts.dryRun && plan.action !== 'unchanged') {
    await kube.serverSideApply(plan.storageClass, { force: true });
  }
  for (const old of plan.clearDefault) {
    if (!opts.dryRun) {
      await kube.patch(
        { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', name: old },
        {
          metadata: {
            annotations: { [DEFAULT_CLASS_ANNOTATION]: 'false', [BETA_DEFAULT_CLASS_ANNOTATION]: null },
          },
        },
        'merge',
      );
    }
    opts.log(
      `storageclass ${old} ${opts.dryRun ? 'would no longer be' : 'is no longer'} the default; ${name} ${opts.dryRun ? 'would be' : 'is'}`,
    );
  }
  return { ...plan, dryRun: opts.dryRun };
}

export interface StorageClassRow {
  name: string;
  default: boolean;
  provisioner: string;
  datastoreUrl?: string;
  /** The datastore's name; undefined when vCenter is not configured or has no datastore with that URL. */
  datastore?: string;
  policy?: string;
  reclaimPolicy: string;
  volumeBindingMode: string;
  allowVolumeExpansion: boolean;
}

/** Every class; datastore names come from one vCenter walk when vCenter is configured. */
export async function listStorageClasses(ctx: Context, opts: { url?: string }): Promise<StorageClassRow[]> {
  const kube = await ctx.kube();
  const classes = (await kube.list<V1StorageClass>('storage.k8s.io/v1', 'StorageClass')).items;
  const urls = classes.map((c) => c.parameters?.datastoreurl).filter((u): u is string => !!u);
  let byUrl = new Map<string, string>();
  if (urls.length && vcenterConfigured(opts.url, ctx.env)) {
    const { listDatastores } = await import('../vsphere/datastores.js');
    const datastores = await listDatastores((await ctx.vsphere()).client);
    byUrl = new Map(datastores.map((d) => [d.url.replace(/\/+$/, ''), d.name]));
  } else if (urls.length) {
    ctx.log.warn('no vCenter configured (--url or GOVC_URL): datastore names are not shown');
  }
  return classes
    .map((c) => {
      const url = c.parameters?.datastoreurl;
      return {
        name: c.metadata!.name!,
        default: isDefaultStorageClass(c),
        provisioner: c.provisioner,
        ...(url ? { datastoreUrl: url } : {}),
        ...(url && byUrl.has(url.replace(/\/+$/, '')) ? { datastore: byUrl.get(url.replace(/\/+$/, ''))! } : {}),
        ...(c.parameters?.storagepolicyname ? { policy: c.parameters.storagepolicyname } : {}),
        reclaimPolicy: c.reclaimPolicy ?? 'Delete',
        volumeBindingMode: c.volumeBindingMode ?? 'Immediate',
        allowVolumeExpansion: c.allowVolumeExpansion ?? false,
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

export interface StorageClassStepInput extends StorageClassInput {
  /** --url: a datastore name or path is resolved to its URL through vCenter (else GOVC_URL, the config file). */
  url?: string;
}

const ACTION_DONE = { create: 'created', update: 'configured', unchanged: 'unchanged' } as const;
const ACTION_DRY = { create: 'would be created', update: 'would be configured', unchanged: 'unchanged' } as const;

/** created, configured or unchanged (a dry run: would be created, would be configured). */
export const storageClassVerb = (r: StorageClassResult) => (r.dryRun ? ACTION_DRY : ACTION_DONE)[r.action];

export const storageClassStep: Step<StorageClassStepInput, StorageClassPlan, StorageClassResult> = {
  id: 'storageclass',
  title: 'StorageClass',
  validate: validateStorageClassInput,
  async plan(ctx, input) {
    validateStorageClassInput(input);
    return planStorageClass(ctx, input, { vcenter: vcenterConfigured(input.url, ctx.env) });
  },
  describe: ({ action, storageClass, datastore, clearDefault }) => ({ action, storageClass, datastore, clearDefault }),
  async apply(ctx, plan, run) {
    return applyStorageClass(await ctx.kube(), plan, {
      dryRun: run.dryRun !== 'none',
      log: (line) => ctx.log.info(line),
    });
  },
  summary(r) {
    const on = r.datastore?.name ?? r.storageClass.parameters?.storagepolicyname;
    return `${r.storageClass.metadata!.name}${on ? ` (${on})` : ''} ${storageClassVerb(r)}`;
  },
  warnings: (r) => r.warnings,
  failure: () => undefined,
};
