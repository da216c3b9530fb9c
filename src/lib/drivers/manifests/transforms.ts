// What vk changes in a release manifest before applying it, and what it reads
// back from one. Pure functions over object lists: inputs are never mutated.

import { createHash } from 'node:crypto';
import { parseImageRef } from './images.js';
import { containersOf, findObject, podSpecOf, type KubeObject } from './objects.js';
import type { Component } from './compatibility.js';
import * as names from '../names.js';

/**
 * The example configuration the release manifests carry. vk applies its own
 * (from `vk generate`), so these are dropped: applying them would overwrite
 * the real ones with `<ENTER_YOUR_VCENTER_USERNAME>`.
 *  - CPI: Secret `vsphere-cloud-secret` and ConfigMap `vsphere-cloud-config`
 *    in kube-system (the DaemonSet mounts the ConfigMap).
 *  - CSI: the driver mounts Secret `vsphere-config-secret`; upstream's
 *    vanilla manifest only references it, but a site's own copy may carry one.
 */
export const PLACEHOLDERS: readonly { kind: string; name: string }[] = [
  { kind: 'Secret', name: 'vsphere-cloud-secret' },
  { kind: 'ConfigMap', name: 'vsphere-cloud-config' },
  { kind: 'Secret', name: 'vsphere-config-secret' },
];

export function isPlaceholder(obj: KubeObject): boolean {
  return PLACEHOLDERS.some((p) => p.kind === obj.kind && p.name === obj.metadata.name);
}

export function dropPlaceholders(objects: readonly KubeObject[]): KubeObject[] {
  return objects.filter((obj) => !isPlaceholder(obj));
}

// Where each driver's own image runs: the workload, then the container.
const CPI_DAEMONSET = names.CPI_DAEMONSET.name;
export const CSI_CONTROLLER_DEPLOYMENT = names.CSI_CONTROLLER.name;
const CSI_NODE_DAEMONSET = names.CSI_NODE.name;

function tagOf(obj: KubeObject | undefined, container: string): string | undefined {
  const spec = obj && podSpecOf(obj);
  if (!spec) return undefined;
  const image = containersOf(spec).find((c) => c.name === container)?.image;
  return typeof image === 'string' ? parseImageRef(image).tag : undefined;
}

/**
 * The CPI version a manifest (or the live DaemonSet) runs, from the image tag
 * of its `vsphere-cloud-controller-manager` container; undefined when absent
 * or pinned by digest only.
 */
export function cpiVersionOf(objects: readonly KubeObject[]): string | undefined {
  return tagOf(findObject(objects, 'DaemonSet', CPI_DAEMONSET), CPI_DAEMONSET);
}

/** The CSI driver version, from the controller's driver image (else the node DaemonSet's). */
export function csiVersionOf(objects: readonly KubeObject[]): string | undefined {
  return (
    tagOf(findObject(objects, 'Deployment', CSI_CONTROLLER_DEPLOYMENT), names.CSI_CONTROLLER.container) ??
    tagOf(findObject(objects, 'DaemonSet', CSI_NODE_DAEMONSET), names.CSI_NODE.container)
  );
}

/**
 * Replicas for the CSI controller: the manifest asks for 3 with required
 * pod anti-affinity across control-plane nodes, so any replica beyond the
 * number of control-plane nodes stays Pending forever. min(3, n), at least 1.
 */
export function controllerReplicas(controlPlaneNodeCount: number): number {
  if (!Number.isInteger(controlPlaneNodeCount) || controlPlaneNodeCount < 0) {
    throw new RangeError(`control-plane node count must be a whole number, got ${controlPlaneNodeCount}`);
  }
  return Math.max(1, Math.min(3, controlPlaneNodeCount));
}

/** A copy of `objects` with the `vsphere-csi-controller` Deployment scaled to `replicas`. */
export function setControllerReplicas(objects: readonly KubeObject[], replicas: number): KubeObject[] {
  if (!Number.isInteger(replicas) || replicas < 1) {
    throw new RangeError(`controller replicas must be a whole number of at least 1, got ${replicas}`);
  }
  return objects.map((obj) => {
    if (obj.kind !== 'Deployment' || obj.metadata.name !== CSI_CONTROLLER_DEPLOYMENT) return obj;
    const copy = structuredClone(obj);
    const spec = (typeof copy.spec === 'object' && copy.spec !== null ? copy.spec : {}) as Record<string, unknown>;
    copy.spec = { ...spec, replicas };
    return copy;
  });
}

/**
 * Labels vk puts on every object it applies, so `vk uninstall` and
 * `vk doctor` find them again with one label selector. The prefix is kept in
 * one place on purpose.
 */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'vk';
export const COMPONENT_LABEL = 'vk.io/component';
export const VERSION_LABEL = 'vk.io/version';

/** What vk installs and labels: a driver, or the snapshot CRDs and controller (`vk install snapshots`). */
export type ManagedComponent = Component | 'snapshots';

/** How messages name a component: "CPI", "CSI", "snapshot-controller". */
export function componentName(component: ManagedComponent): string {
  return component === 'snapshots' ? 'snapshot-controller' : component.toUpperCase();
}

/** The selector that finds what vk installed for a component. */
export function managedSelector(component: ManagedComponent): string {
  return `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE},${COMPONENT_LABEL}=${component}`;
}

/**
 * A copy of `objects` carrying vk's labels in metadata.labels. Pod templates
 * and selectors are left alone: selectors are immutable, and relabelling a
 * template would restart pods for no reason.
 */
export function stampManagedBy(
  objects: readonly KubeObject[],
  stamp: { component: ManagedComponent; version: string },
): KubeObject[] {
  return objects.map((obj) => ({
    ...obj,
    metadata: {
      ...obj.metadata,
      labels: {
        ...obj.metadata.labels,
        [MANAGED_BY_LABEL]: MANAGED_BY_VALUE,
        [COMPONENT_LABEL]: stamp.component,
        [VERSION_LABEL]: stamp.version,
      },
    },
  }));
}

/**
 * The pod-template annotation holding a digest of the configuration a
 * workload reads from its mounted ConfigMap: a changed config changes the
 * template, so the workload rolls out at once instead of whenever kubelet
 * refreshes the volume and the driver notices.
 */
export const CONFIG_HASH_ANNOTATION = 'vk.io/config-hash';

/** A copy of `objects` whose `workload` pod template carries the digest of `data` (key-order independent). */
export function stampConfigHash(
  objects: readonly KubeObject[],
  workload: names.DriverWorkload,
  data: Record<string, string>,
): KubeObject[] {
  const canonical = JSON.stringify(
    Object.keys(data)
      .sort()
      .map((k) => [k, data[k]]),
  );
  const digest = createHash('sha256').update(canonical).digest('hex').slice(0, 16);
  return objects.map((obj) => {
    if (obj.kind !== workload.kind || obj.metadata.name !== workload.name) return obj;
    const copy = structuredClone(obj);
    const template = ((copy.spec as { template?: { metadata?: { annotations?: Record<string, string> } } }).template ??=
      {});
    template.metadata = {
      ...template.metadata,
      annotations: { ...template.metadata?.annotations, [CONFIG_HASH_ANNOTATION]: digest },
    };
    return copy;
  });
}
