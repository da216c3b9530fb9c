// Step: remove what `vk install cpi|csi` applied. plan() finds the objects by
// vk's labels (managed-by vk, component cpi|csi) across the kinds the release
// manifests hold; apply() deletes them workloads first and namespaces last.
// PersistentVolumes, PersistentVolumeClaims and StorageClasses are never
// touched: they are the users' data, not the driver.
//
// The same inventory prunes an upgrade (as kubectl apply --prune does with
// its label selector): what vk applied for the component before and the new
// release no longer carries, never a Namespace (it holds more than the
// driver) nor any kind outside the list below (CRDs, PVs, PVCs).

import type { KubernetesObject } from '@kubernetes/client-node';
import type { KubeClient } from '../kube/client.js';
import { componentName, managedSelector, type ManagedComponent } from './manifests/transforms.js';
import type { Step } from '../core/step.js';

/** Deletion order: what runs first, then what it uses, then where it lived. */
const KINDS: readonly [apiVersion: string, kind: string][] = [
  ['apps/v1', 'Deployment'],
  ['apps/v1', 'DaemonSet'],
  ['v1', 'Service'],
  ['v1', 'ConfigMap'],
  ['v1', 'Secret'],
  ['rbac.authorization.k8s.io/v1', 'RoleBinding'],
  ['rbac.authorization.k8s.io/v1', 'Role'],
  ['rbac.authorization.k8s.io/v1', 'ClusterRoleBinding'],
  ['rbac.authorization.k8s.io/v1', 'ClusterRole'],
  ['v1', 'ServiceAccount'],
  ['storage.k8s.io/v1', 'CSIDriver'],
  ['v1', 'Namespace'],
];

export interface UninstallObject {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

export interface UninstallPlan {
  component: ManagedComponent;
  objects: UninstallObject[];
}

export interface UninstallResult extends UninstallPlan {
  dryRun: boolean;
  objects: (UninstallObject & { action: 'deleted' | 'already gone' | 'would delete' })[];
}

/** The objects vk installed for the component, in deletion order; reads only. */
export async function planUninstall(kube: KubeClient, component: ManagedComponent): Promise<UninstallPlan> {
  const labelSelector = managedSelector(component);
  // A few LISTs at a time: one per kind, each selecting by label on the server.
  const lists: { items: KubernetesObject[] }[] = [];
  for (let i = 0; i < KINDS.length; i += 4) {
    const batch = KINDS.slice(i, i + 4).map(([apiVersion, kind]) =>
      kube.list<KubernetesObject>(apiVersion, kind, { labelSelector }),
    );
    lists.push(...(await Promise.all(batch)));
  }
  const objects = lists.flatMap((l, i) =>
    l.items
      .map((o) => ({
        apiVersion: KINDS[i]![0],
        kind: KINDS[i]![1],
        ...(o.metadata?.namespace ? { namespace: o.metadata.namespace } : {}),
        name: o.metadata!.name!,
      }))
      .sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`)),
  );
  return { component, objects };
}

export async function applyUninstall(kube: KubeClient, plan: UninstallPlan, dryRun: boolean): Promise<UninstallResult> {
  const objects: UninstallResult['objects'] = [];
  for (const o of plan.objects) {
    if (dryRun) {
      objects.push({ ...o, action: 'would delete' });
      continue;
    }
    const gone = await kube.delete(o, { propagationPolicy: 'Background' });
    objects.push({ ...o, action: gone ? 'deleted' : 'already gone' });
  }
  return { ...plan, dryRun, objects };
}

/** An object of an earlier release that an install removed (or, in a dry run, would remove). */
export interface PrunedObject extends UninstallObject {
  action: 'pruned' | 'would prune' | 'already gone';
}

const keyOf = (o: { kind: string; namespace?: string; name: string }) => `${o.kind}/${o.namespace ?? ''}/${o.name}`;

/**
 * vk's objects of the component that `keep` (what the install applies) does
 * not name, in deletion order; reads only.
 */
export async function planPrune(
  kube: KubeClient,
  component: ManagedComponent,
  keep: readonly { kind: string; metadata: { namespace?: string; name: string } }[],
): Promise<UninstallObject[]> {
  const kept = new Set(
    keep.map((o) => keyOf({ kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name })),
  );
  const { objects } = await planUninstall(kube, component);
  return objects.filter((o) => o.kind !== 'Namespace' && !kept.has(keyOf(o)));
}

export async function applyPrune(
  kube: KubeClient,
  objects: readonly UninstallObject[],
  dryRun: boolean,
): Promise<PrunedObject[]> {
  const out: PrunedObject[] = [];
  for (const o of objects) {
    if (dryRun) {
      out.push({ ...o, action: 'would prune' });
      continue;
    }
    const gone = await kube.delete(o, { propagationPolicy: 'Background' });
    out.push({ ...o, action: gone ? 'pruned' : 'already gone' });
  }
  return out;
}

/** "2 pruned: ClusterRole vsphere-csi-old, Service vmware-system-csi/old" (empty when nothing). */
export function describePruned(objects: readonly PrunedObject[]): string {
  if (objects.length === 0) return '';
  const n = objects.filter((o) => o.action !== 'already gone').length;
  const verb = objects.some((o) => o.action === 'would prune') ? 'would prune' : 'pruned';
  const list = objects.map((o) => `${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}`).join(', ');
  return `${n} ${verb} (not in this release): ${list}`;
}

/** What an uninstall removes: the objects carrying vk's labels for the component (never PVs or PVCs). */
export const uninstallStep: Step<ManagedComponent, UninstallPlan, UninstallResult> = {
  id: 'uninstall',
  title: 'Uninstall',
  validate: () => undefined,
  plan: async (ctx, component) => planUninstall(await ctx.kube(), component),
  describe: (plan) => plan,
  apply: async (ctx, plan, run) => applyUninstall(await ctx.kube(), plan, run.dryRun !== 'none'),
  summary(r) {
    if (r.dryRun) return `dry run: would delete ${r.objects.length} objects; nothing was changed`;
    const deleted = r.objects.filter((o) => o.action === 'deleted').length;
    const kept =
      r.component === 'snapshots'
        ? 'the snapshot CRDs, VolumeSnapshotClasses and snapshots were left alone'
        : 'PersistentVolumes and PersistentVolumeClaims were left alone';
    return `deleted ${deleted} objects of the ${componentName(r.component)}; ${kept}`;
  },
  failure: () => undefined,
};
