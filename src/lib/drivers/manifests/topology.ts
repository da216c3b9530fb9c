// Turning the CSI driver's topology support on or off in a release manifest,
// to match the config vk installs with it.
//
// What a v3.x release needs for topology, from the vanilla manifests at every
// v3.0.0 … v3.8.0-rc.1 tag and the driver's "deploy with topology" guide: the
// csi-provisioner container of the vsphere-csi-controller Deployment takes
// `--feature-gates=Topology=true` and `--strict-topology`, which the manifest
// ships commented out ("needed only for topology aware setup"), plus
// `[Labels] topology-categories` in csi-vsphere.conf. Nothing else changes:
// the node DaemonSet reports its topology through CSINodeTopology objects
// without extra settings, and the `improved-volume-topology` feature state
// of the v2.x internal-feature-states ConfigMap is gone from v3.0 on (neither
// the manifests nor pkg/ name it).
//
// Without topology categories the gate must be off: a provisioner with
// Topology on and no topology keys on the nodes fails every volume with "no
// available topology found". csi-provisioner v5.0 turned the gate on by
// default (kubernetes-csi/external-provisioner #1167), so for a v5+ image,
// or one whose version cannot be read, vk sets it false explicitly; for
// older images it only removes a Topology setting (their default is off).

import { VkError } from '../../core/errors.js';
import { parseImageRef } from './images.js';
import { containersOf, podSpecOf, type Container, type KubeObject } from './objects.js';
import { CSI_CONTROLLER_DEPLOYMENT } from './transforms.js';

const PROVISIONER = 'csi-provisioner';
const FEATURE_GATES = /^--?feature-gates=(.*)$/;
const STRICT_TOPOLOGY = /^--?strict-topology(?:=.*)?$/;
const TOPOLOGY_GATE = /^Topology=/;

export interface TopologyPlan {
  /** The installed config names topology categories. */
  enabled: boolean;
  categories: string[];
  /** The csi-provisioner args vk set or removed, e.g. "--feature-gates=Topology=true". */
  changes: string[];
}

/** The first csi-provisioner v-major of an image tag such as v5.2.0; undefined when unreadable. */
function imageMajor(image: string | undefined): number | undefined {
  const tag = image ? parseImageRef(image).tag : undefined;
  const m = tag ? /^v?(\d+)\./.exec(tag) : null;
  return m ? Number(m[1]) : undefined;
}

/** `args` with the Topology gate set to `value` (or removed when undefined), other gates kept. */
function withTopologyGate(args: readonly string[], value: boolean | undefined): string[] {
  const out: string[] = [];
  let placed = false;
  for (const arg of args) {
    const m = FEATURE_GATES.exec(arg);
    if (!m) {
      out.push(arg);
      continue;
    }
    const gates = m[1]!
      .split(',')
      .map((g) => g.trim())
      .filter((g) => g !== '' && !TOPOLOGY_GATE.test(g));
    if (value !== undefined && !placed) {
      gates.push(`Topology=${value}`);
      placed = true;
    }
    if (gates.length > 0) out.push(`--feature-gates=${gates.join(',')}`);
  }
  if (value !== undefined && !placed) out.push(`--feature-gates=Topology=${value}`);
  return out;
}

function provisionerArgs(enabled: boolean, container: Container): string[] {
  const args = Array.isArray(container.args) ? (container.args as unknown[]).map(String) : [];
  const withoutStrict = args.filter((a) => !STRICT_TOPOLOGY.test(a));
  if (enabled) return [...withTopologyGate(withoutStrict, true), '--strict-topology'];
  const major = imageMajor(container.image);
  return withTopologyGate(withoutStrict, major === undefined || major >= 5 ? false : undefined);
}

const diff = (before: string[], after: string[]) => [
  ...after.filter((a) => !before.includes(a)),
  ...before.filter((b) => !after.includes(b)).map((b) => `without ${b}`),
];

/**
 * A copy of `objects` whose csi-provisioner has topology on exactly when
 * `categories` is not empty, and what changed. Refuses a manifest without a
 * csi-provisioner in the controller Deployment when topology is asked for.
 */
export function setCsiTopology(
  objects: readonly KubeObject[],
  categories: readonly string[],
): { objects: KubeObject[]; topology: TopologyPlan } {
  const enabled = categories.length > 0;
  const changes: string[] = [];
  let found = false;
  const out = objects.map((obj) => {
    if (obj.kind !== 'Deployment' || obj.metadata.name !== CSI_CONTROLLER_DEPLOYMENT) return obj;
    const copy = structuredClone(obj);
    const spec = podSpecOf(copy);
    const container = spec && containersOf(spec).find((c) => c.name === PROVISIONER);
    if (!container) return obj;
    found = true;
    const before = Array.isArray(container.args) ? (container.args as unknown[]).map(String) : [];
    const after = provisionerArgs(enabled, container);
    changes.push(...diff(before, after));
    container.args = after;
    return copy;
  });
  if (enabled && !found) {
    throw new VkError(
      `the manifest has no ${PROVISIONER} container in Deployment ${CSI_CONTROLLER_DEPLOYMENT}, so vk cannot turn topology on`,
      { hint: 'install the release manifest, or drop --topology-category' },
    );
  }
  return { objects: out, topology: { enabled, categories: [...categories], changes } };
}

/** One line for the install output. */
export function describeTopology(t: TopologyPlan): string {
  const what = t.changes.length ? `${PROVISIONER} ${t.changes.join(', ')}` : `${PROVISIONER} already set`;
  return t.enabled
    ? `topology on (categories ${t.categories.join(', ')}): ${what}`
    : `topology off (no topology categories): ${what}`;
}
