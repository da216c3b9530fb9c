// Step: `vk topology`. Zones and regions as the vSphere drivers read them:
// vSphere tags of a region category and a zone category on the inventory
// above each node VM's ESXi host (the host, its cluster, the datacenter and
// the folders between). The CPI walks the host's ancestors nearest first and
// takes the first tag of each category (cloud-provider-vsphere
// connectionmanager LookupZoneByMoref); the CSI driver's topology-categories
// work the same way, so vk wants exactly one tag of each category above every
// node (as OpenShift's vsphere-problem-detector CheckZoneTags does).
//
// Reading costs one PropertyCollector call for the VMs, one for every node
// host's ancestors (a `parent` traversal), and vAPI calls: the category and
// tag lists plus one GET per category and tag, and one
// list-attached-tags-on-objects for all ancestors.

import type { V1Node } from '@kubernetes/client-node';
import { UsageError, VkError } from '../core/errors.js';
import type { Step } from '../core/step.js';
import type { Context } from '../core/context.js';
import { check, firstOf, type CheckResult } from '../doctor/checks.js';
import type { DriverConfigs } from '../doctor/drivers.js';
import { closest } from '../core/suggest.js';
import type { KubeClient } from '../kube/client.js';
import type { VsphereSession } from '../vsphere/connect.js';
import type { Tag, TagCategory, TaggingClient } from '../vsphere/tagging.js';
import { refKey, refOfKey, type MoRef } from '../vsphere/types.js';
import { CSI_TOPOLOGY_PREFIX } from '../drivers/names.js';
import { matchNodes, readVms, type NodeMatch } from '../vms/node-vms.js';

/** The tag categories vk topology creates unless told otherwise. */
export const DEFAULT_REGION_CATEGORY = 'k8s-region';
export const DEFAULT_ZONE_CATEGORY = 'k8s-zone';
/** What vk's categories may be attached to: the objects a zone or region names. */
const ASSOCIABLE_TYPES = ['Datacenter', 'ClusterComputeResource', 'HostSystem'];

export const TOPOLOGY_KINDS = ['datacenter', 'cluster', 'host'] as const;
export type TopologyKind = (typeof TOPOLOGY_KINDS)[number];

const kindOf = (type: string): TopologyKind | undefined =>
  type === 'Datacenter'
    ? 'datacenter'
    : type === 'ClusterComputeResource'
      ? 'cluster'
      : type === 'HostSystem'
        ? 'host'
        : undefined;

/** An inventory object above a node's VM. */
export interface Ancestor {
  ref: MoRef;
  name: string;
  /** datacenter, cluster or host; undefined for folders and standalone compute resources. */
  kind?: TopologyKind;
}

/** Where a node runs: its host's ancestors, the host first, the root folder last. */
export interface NodePlace {
  node: string;
  vm?: string;
  /** Host first; empty when the node matches no VM or the VM has no host. */
  ancestors: Ancestor[];
}

/** `cluster:DC0_C0=zone-a`: attach tag `zone-a` to the cluster DC0_C0. */
export interface TagAssignment {
  kind: TopologyKind;
  object: string;
  tag: string;
}

/** What vCenter holds: categories, tags, which tags are on each ancestor. */
export interface TopologyState {
  places: NodePlace[];
  categories: TagCategory[];
  tags: Tag[];
  /** refKey → tag ids attached. */
  attached: Map<string, string[]>;
}

/** A tag of a category found above a node. */
export interface FoundTag {
  tag: string;
  /** `cluster DC0_C0`, `datacenter DC0`, `host DC0_C0_H0`, `folder k8s`. */
  on: string;
}

export interface NodeTopology {
  node: string;
  vm?: string;
  host?: string;
  cluster?: string;
  datacenter?: string;
  /** Per category name: every tag of it on the node's ancestors, nearest first. */
  tags: Record<string, FoundTag[]>;
}

export interface TopologyReport {
  categories: Array<{ name: string; cardinality: string; tags: string[] }>;
  nodes: NodeTopology[];
}

const describeObject = (a: Ancestor) => `${a.kind ?? (a.ref.type === 'Folder' ? 'folder' : a.ref.type)} ${a.name}`;

/** Parses `KIND:NAME=TAG` (KIND datacenter, cluster or host). */
export function parseTagAssignment(value: string, flag: string): TagAssignment {
  const m = /^([a-z]+):(.+)=([^=]+)$/.exec(value.trim());
  if (!m || !(TOPOLOGY_KINDS as readonly string[]).includes(m[1]!)) {
    throw new UsageError(`invalid ${flag} "${value}"`, {
      hint: `expected KIND:NAME=TAG with KIND one of ${TOPOLOGY_KINDS.join(', ')}, e.g. ${flag} cluster:DC0_C0=zone-a`,
    });
  }
  return { kind: m[1] as TopologyKind, object: m[2]!.trim(), tag: m[3]!.trim() };
}

interface EntityProps {
  name: string;
  parent?: MoRef;
}

/** Every node host's ancestors in one PropertyCollector call (a `parent` traversal from the hosts). */
async function readAncestors(session: VsphereSession, hosts: MoRef[]): Promise<Map<string, Ancestor[]>> {
  const { retrieveContents, toRetrieved, traversal } = await import('../vsphere/property-collector.js');
  const contents = await retrieveContents(session.client, [
    {
      propSet: [{ type: 'ManagedEntity', pathSet: ['name', 'parent'] }],
      objectSet: hosts.map((obj) => ({ obj, selectSet: [traversal('up', 'ManagedEntity', 'parent', ['up'])] })),
    },
  ]);
  const byKey = new Map(
    contents.map((oc) => {
      const o = toRetrieved<EntityProps>(oc);
      return [refKey(o.ref), o] as const;
    }),
  );
  const chains = new Map<string, Ancestor[]>();
  for (const host of hosts) {
    const chain: Ancestor[] = [];
    let at: MoRef | undefined = host;
    while (at && chain.length < byKey.size) {
      const o = byKey.get(refKey(at));
      if (!o) break;
      chain.push({ ref: o.ref, name: o.props.name ?? o.ref.value, kind: kindOf(o.ref.type) });
      at = o.props.parent;
    }
    chains.set(refKey(host), chain);
  }
  return chains;
}

/** Where each node runs and the tags above it. */
export async function readTopologyState(
  session: VsphereSession,
  kube: KubeClient,
  tagging?: TaggingClient,
): Promise<TopologyState> {
  const [nodes, vms] = await Promise.all([kube.list<V1Node>('v1', 'Node').then((l) => l.items), readVms(session)]);
  nodes.sort((a, b) => a.metadata!.name!.localeCompare(b.metadata!.name!));
  return readTopologyOf(session, matchNodes(nodes, vms), tagging);
}

/** The same, for nodes already matched to their VMs (doctor has read them). */
export async function readTopologyOf(
  session: VsphereSession,
  matches: readonly NodeMatch[],
  tagging?: TaggingClient,
): Promise<TopologyState> {
  const hostRefs = [...new Set(matches.flatMap((m) => (m.vm?.host ? [m.vm.host] : [])))].map(refOfKey);
  const client = tagging ?? (await session.tagging());
  const [chains, categories, tags] = await Promise.all([
    readAncestors(session, hostRefs),
    client.categories(),
    client.tags(),
  ]);
  const places: NodePlace[] = matches.map((m) => ({
    node: m.node,
    vm: m.vm?.name,
    ancestors: (m.vm?.host && chains.get(m.vm.host)) || [],
  }));
  const objects = new Map<string, MoRef>();
  for (const p of places) for (const a of p.ancestors) objects.set(refKey(a.ref), a.ref);
  const attached = await client.attachedTags([...objects.values()]);
  return { places, categories, tags, attached };
}

/** Per category: the tags above a node, nearest first. */
function tagsAbove(state: TopologyState, place: NodePlace, categories: TagCategory[]): Record<string, FoundTag[]> {
  const tagById = new Map(state.tags.map((t) => [t.id, t]));
  const out: Record<string, FoundTag[]> = Object.fromEntries(categories.map((c) => [c.name, []]));
  const nameOf = new Map(categories.map((c) => [c.id, c.name]));
  for (const a of place.ancestors) {
    for (const id of state.attached.get(refKey(a.ref)) ?? []) {
      const tag = tagById.get(id);
      const category = tag && nameOf.get(tag.categoryId);
      if (tag && category) out[category]!.push({ tag: tag.name, on: describeObject(a) });
    }
  }
  return out;
}

const ancestorOf = (p: NodePlace, kind: TopologyKind) => p.ancestors.find((a) => a.kind === kind);

/** The listing: categories with their tags, and each node's tags of every category. */
export function topologyReport(state: TopologyState, only?: readonly string[]): TopologyReport {
  const categories = only ? state.categories.filter((c) => only.includes(c.name)) : state.categories;
  return {
    categories: categories.map((c) => ({
      name: c.name,
      cardinality: c.cardinality,
      tags: state.tags.filter((t) => t.categoryId === c.id).map((t) => t.name),
    })),
    nodes: state.places.map((p) => ({
      node: p.node,
      vm: p.vm,
      host: ancestorOf(p, 'host')?.name,
      cluster: ancestorOf(p, 'cluster')?.name,
      datacenter: ancestorOf(p, 'datacenter')?.name,
      tags: tagsAbove(state, p, categories),
    })),
  };
}

/** What `vk topology --create` asks for. */
export interface TopologyInput {
  regionCategory: string;
  zoneCategory: string;
  /** Explicit assignments; empty: one region per datacenter, named after it, where a node has none yet. */
  regionTags: TagAssignment[];
  /** Explicit assignments; empty: one zone per cluster (or standalone host), named after it, where a node has none yet. */
  zoneTags: TagAssignment[];
}

export interface PlannedAttach {
  category: string;
  tag: string;
  kind: TopologyKind;
  object: string;
  ref: MoRef;
}

export interface TopologyPlan {
  createCategories: string[];
  createTags: Array<{ category: string; tag: string }>;
  attach: PlannedAttach[];
  /** Assignments already in place. */
  unchanged: number;
  /** Each node's region and zone once the plan is applied. */
  nodes: Array<{ node: string; region: string; zone: string }>;
}

/**
 * The default assignments for the nodes that have no tag of the category
 * above them yet: their datacenter (region) and cluster, or standalone host
 * (zone), each tag named after its object. Tags already in place are kept.
 */
function defaultAssignments(
  places: NodePlace[],
  role: 'region' | 'zone',
  tagged: (p: NodePlace) => boolean,
): TagAssignment[] {
  const out = new Map<string, TagAssignment>();
  for (const p of places) {
    if (tagged(p)) continue;
    const a = role === 'region' ? ancestorOf(p, 'datacenter') : (ancestorOf(p, 'cluster') ?? ancestorOf(p, 'host'));
    if (a?.kind) out.set(refKey(a.ref), { kind: a.kind, object: a.name, tag: a.name });
  }
  return [...out.values()];
}

/**
 * Works out the categories, tags and attachments to create, refusing before
 * any change what would leave a node without exactly one region and one zone
 * tag, or an object with two tags of one category. Pure: reads `state` only.
 */
export function planTopology(state: TopologyState, input: TopologyInput): TopologyPlan {
  const unplaced = state.places.filter((p) => p.ancestors.length === 0).map((p) => p.node);
  if (unplaced.length > 0) {
    throw new VkError(`no VM found for node ${unplaced.join(', ')}, so vk cannot tell its zone`, {
      hint: 'run vk doctor (nodes-vms) and fix the node↔VM match first',
    });
  }
  if (input.regionCategory === input.zoneCategory) {
    throw new UsageError(`the region and zone categories are both "${input.zoneCategory}"`, {
      hint: 'give --region-category and --zone-category different names',
    });
  }
  const plan: TopologyPlan = { createCategories: [], createTags: [], attach: [], unchanged: 0, nodes: [] };
  const objectsByKind = new Map<string, Ancestor>();
  const paths = new Map<string, string>();
  for (const p of state.places) {
    p.ancestors.forEach((a, i) => {
      if (!a.kind) return;
      objectsByKind.set(`${a.kind}:${a.name}`, a);
      // The inventory path as govc takes it: the ancestors above, root folder left out.
      const above = p.ancestors.slice(i, p.ancestors.length - 1).reverse();
      paths.set(refKey(a.ref), `/${above.map((x) => x.name).join('/')}`);
    });
  }

  const roles = [
    { role: 'region' as const, category: input.regionCategory, flag: '--region-tag', given: input.regionTags },
    { role: 'zone' as const, category: input.zoneCategory, flag: '--zone-tag', given: input.zoneTags },
  ];
  // refKey of object → category → tag name, after the plan.
  const after = new Map<string, Map<string, string[]>>();
  const tagById = new Map(state.tags.map((t) => [t.id, t]));
  const categoryById = new Map(state.categories.map((c) => [c.id, c]));
  for (const [key, ids] of state.attached) {
    const m = new Map<string, string[]>();
    for (const id of ids) {
      const t = tagById.get(id);
      const c = t && categoryById.get(t.categoryId);
      if (t && c) m.set(c.name, [...(m.get(c.name) ?? []), t.name]);
    }
    after.set(key, m);
  }

  for (const { role, category, flag, given } of roles) {
    const existing = state.categories.find((c) => c.name === category);
    if (!existing) plan.createCategories.push(category);
    const tagged = (p: NodePlace) =>
      p.ancestors.some((a) => (after.get(refKey(a.ref))?.get(category) ?? []).length > 0);
    const assignments = given.length > 0 ? given : defaultAssignments(state.places, role, tagged);
    for (const as of assignments) {
      const obj = objectsByKind.get(`${as.kind}:${as.object}`);
      if (!obj) {
        const names = [...objectsByKind.values()].filter((a) => a.kind === as.kind).map((a) => a.name);
        const near = closest(as.object, names);
        throw new UsageError(`${flag} ${as.kind}:${as.object}=${as.tag}: no node runs under ${as.kind} ${as.object}`, {
          hint: near
            ? `did you mean ${as.kind}:${near}?`
            : names.length
              ? `the nodes' ${as.kind}s: ${names.join(', ')}`
              : `no node runs under a ${as.kind}`,
        });
      }
      const onObj = after.get(refKey(obj.ref)) ?? new Map<string, string[]>();
      after.set(refKey(obj.ref), onObj);
      const current = onObj.get(category) ?? [];
      if (current.includes(as.tag)) {
        plan.unchanged++;
        continue;
      }
      if (current.length > 0) {
        throw new VkError(
          `${describeObject(obj)} already carries ${category} tag ${current.join(', ')}, not ${as.tag}`,
          {
            hint: `keep it (${flag} ${as.kind}:${obj.name}=${current[0]}), or detach it first: govc tags.detach -c ${category} ${current[0]} ${paths.get(refKey(obj.ref))}`,
          },
        );
      }
      onObj.set(category, [as.tag]);
      const tagExists = existing && state.tags.some((t) => t.categoryId === existing.id && t.name === as.tag);
      if (!tagExists && !plan.createTags.some((t) => t.category === category && t.tag === as.tag)) {
        plan.createTags.push({ category, tag: as.tag });
      }
      plan.attach.push({ category, tag: as.tag, kind: as.kind, object: obj.name, ref: obj.ref });
    }
  }

  const problems: string[] = [];
  for (const p of state.places) {
    const values = (category: string) =>
      p.ancestors.flatMap((a) => (after.get(refKey(a.ref))?.get(category) ?? []).map((tag) => ({ tag, a })));
    const region = values(input.regionCategory);
    const zone = values(input.zoneCategory);
    for (const [vals, category, flag] of [
      [region, input.regionCategory, '--region-tag'],
      [zone, input.zoneCategory, '--zone-tag'],
    ] as const) {
      if (vals.length === 0) {
        const c = ancestorOf(p, 'cluster') ?? ancestorOf(p, 'host');
        problems.push(
          `node ${p.node} would have no ${category} tag (add ${flag} ${c ? `${c.kind}:${c.name}=<tag>` : ''})`,
        );
      } else if (vals.length > 1) {
        problems.push(
          `node ${p.node} would have ${vals.length} ${category} tags: ${vals.map((v) => `${v.tag} on ${describeObject(v.a)}`).join(', ')}`,
        );
      }
    }
    plan.nodes.push({ node: p.node, region: region[0]?.tag ?? '', zone: zone[0]?.tag ?? '' });
  }
  if (problems.length > 0) {
    throw new VkError(`the topology would not give every node one region and one zone: ${problems.join('; ')}`, {
      hint: 'each node needs exactly one tag of each category on its host, cluster or datacenter',
    });
  }
  return plan;
}

/** Creates the planned categories and tags, then attaches; answers the lines it did. */
export async function applyTopology(
  tagging: TaggingClient,
  state: TopologyState,
  plan: TopologyPlan,
  input: TopologyInput,
  progress: (line: string) => void = () => undefined,
): Promise<string[]> {
  const done: string[] = [];
  const say = (line: string) => {
    done.push(line);
    progress(line);
  };
  const categoryIds = new Map(state.categories.map((c) => [c.name, c.id]));
  for (const name of plan.createCategories) {
    const role = name === input.regionCategory ? 'region' : 'zone';
    const id = await tagging.createCategory({
      name,
      description: `Kubernetes ${role}s (topology.kubernetes.io/${role}), created by vk`,
      cardinality: 'SINGLE',
      associableTypes: ASSOCIABLE_TYPES,
    });
    categoryIds.set(name, id);
    say(`created tag category ${name}`);
  }
  const tagIds = new Map(
    state.tags.map((t) => [`${state.categories.find((c) => c.id === t.categoryId)?.name}/${t.name}`, t.id]),
  );
  for (const t of plan.createTags) {
    const id = await tagging.createTag({
      name: t.tag,
      description: 'created by vk',
      categoryId: categoryIds.get(t.category)!,
    });
    tagIds.set(`${t.category}/${t.tag}`, id);
    say(`created tag ${t.tag} in ${t.category}`);
  }
  for (const a of plan.attach) {
    await tagging.attach(
      tagIds.get(`${a.category}/${a.tag}`)!,
      a.ref,
      `attaching tag ${a.tag} to ${a.kind} ${a.object}`,
    );
    say(`attached ${a.category} tag ${a.tag} to ${a.kind} ${a.object}`);
  }
  return done;
}

/** The install commands that turn the zones on. */
export function nextCommands(regionCategory: string, zoneCategory: string): string[] {
  return [
    `vk install cpi --region ${regionCategory} --zone ${zoneCategory}`,
    `vk install csi --topology-category ${regionCategory},${zoneCategory}`,
  ];
}

/** The allowedTopologies term of a zoned StorageClass, checked against the installed CSI config and the nodes. */
export interface ZoneSelection {
  key: string;
  values: string[];
  warnings: string[];
}

/**
 * The topology key and zones for `vk storageclass create --zone`: the zone
 * category is --zone-category, else the CPI's `labels.zone`, else the CSI
 * driver's only topology category. It must be one of the CSI driver's
 * topology-categories (only those become node topology keys), and every zone
 * must be the value of that key on some node.
 */
export async function resolveZones(
  kube: KubeClient,
  zones: readonly string[],
  zoneCategory: string | undefined,
): Promise<ZoneSelection> {
  const { readDriverConfigs } = await import('../doctor/drivers.js');
  const [configs, nodes] = await Promise.all([
    readDriverConfigs(kube),
    kube.list<V1Node>('v1', 'Node').then((l) => l.items),
  ]);
  const csiCategories = configs.csi.ok ? (configs.csi.value?.topologyCategories ?? []) : [];
  const cpiZone = configs.cpi.ok ? configs.cpi.value?.labels?.zone : undefined;
  if (csiCategories.length === 0) {
    throw new VkError('--zone needs the CSI driver installed with topology categories, and it has none', {
      hint: 'vk topology --create, then vk install csi --topology-category k8s-region,k8s-zone',
    });
  }
  const category =
    zoneCategory ??
    (cpiZone && csiCategories.includes(cpiZone) ? cpiZone : undefined) ??
    (csiCategories.length === 1 ? csiCategories[0]! : undefined);
  if (category === undefined) {
    throw new UsageError(
      `which of the CSI driver's topology categories (${csiCategories.join(', ')}) holds the zones?`,
      {
        hint: `pass --zone-category, e.g. --zone-category ${csiCategories.at(-1)}`,
      },
    );
  }
  if (!csiCategories.includes(category)) {
    throw new UsageError(`the CSI driver's topology categories are ${csiCategories.join(', ')}, not ${category}`, {
      hint: `pass --zone-category ${csiCategories.at(-1)}, or reinstall the CSI driver with --topology-category including ${category}`,
    });
  }
  const key = CSI_TOPOLOGY_PREFIX + category;
  const present = [...new Set(nodes.map((n) => n.metadata?.labels?.[key]).filter((v): v is string => !!v))].sort();
  const warnings: string[] = [];
  if (present.length === 0) {
    warnings.push(`no node carries ${key} yet (the CSI node plugin sets it once it runs); the zones were not checked`);
  } else {
    const unknown = zones.filter((z) => !present.includes(z));
    if (unknown.length > 0) {
      throw new VkError(`no node is in ${category} ${unknown.join(', ')}`, {
        hint: `the nodes' ${category} values: ${present.join(', ')} (vk topology lists them)`,
      });
    }
  }
  return { key, values: [...zones], warnings };
}

/**
 * doctor's zone-tags: with topology configured in the installed drivers (the
 * CPI's labels, the CSI topology-categories), every category exists and
 * every node's host has exactly one tag of it on itself or above.
 */
export function zoneTagsCheck(state: TopologyState, categories: readonly string[]): CheckResult {
  const missing = categories.filter((c) => !state.categories.some((k) => k.name === c));
  if (missing.length > 0) {
    return check(
      'zone-tags',
      'fail',
      `the drivers read zones from tag categories ${missing.join(', ')}, which vCenter does not have`,
      'vk topology --create',
    );
  }
  const report = topologyReport(state, categories);
  const problems: string[] = [];
  for (const n of report.nodes) {
    if (!n.host) {
      problems.push(`${n.node}: no VM or host found`);
      continue;
    }
    for (const c of categories) {
      const found = n.tags[c] ?? [];
      if (found.length === 0) problems.push(`${n.node}: no ${c} tag above host ${n.host}`);
      else if (found.length > 1) {
        problems.push(`${n.node}: ${found.length} ${c} tags (${found.map((t) => `${t.tag} on ${t.on}`).join(', ')})`);
      }
    }
  }
  if (problems.length > 0) {
    return check(
      'zone-tags',
      'fail',
      firstOf(problems, 3),
      'vk topology shows the tags; vk topology --create adds the missing ones (detach the extra ones in vCenter)',
    );
  }
  const zoneCategory = categories.at(-1)!;
  const zones = [...new Set(report.nodes.map((n) => n.tags[zoneCategory]![0]!.tag))].sort();
  return check(
    'zone-tags',
    'pass',
    `${report.nodes.length} nodes in ${zones.length} ${zoneCategory} value${zones.length === 1 ? '' : 's'} (${zones.join(', ')})`,
  );
}

/** The categories the installed drivers read zones from: the CPI's region and zone, then the CSI driver's. */
export function configuredCategories(configs: DriverConfigs): string[] {
  const cpi = configs.cpi.ok ? (configs.cpi.value?.topologyCategories ?? []) : [];
  const csi = configs.csi.ok ? (configs.csi.value?.topologyCategories ?? []) : [];
  const out = [...csi.filter((c) => !cpi.includes(c)), ...cpi];
  return [...new Set(out)];
}

/** doctor's zone-tags check, reading what it needs; skipped when no driver has topology configured. */
export async function zoneTagsDoctorCheck(input: {
  session: VsphereSession | undefined;
  matches: readonly NodeMatch[] | undefined;
  configs: Promise<DriverConfigs> | undefined;
}): Promise<CheckResult> {
  const skip = (reason: string) => check('zone-tags', 'skip', reason);
  if (!input.configs) return skip('Kubernetes not reachable');
  const categories = configuredCategories(await input.configs);
  if (categories.length === 0) return skip('no zones configured (no CPI labels, no CSI topology-categories)');
  if (!input.session) return skip('vCenter not reachable');
  if (!input.matches) return skip('the nodes and their VMs could not be read');
  try {
    return zoneTagsCheck(await readTopologyOf(input.session, input.matches), categories);
  } catch (err) {
    const reason = (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
    return check('zone-tags', 'fail', `cannot read the tags: ${reason}`);
  }
}

/**
 * Install preflight: the tag categories a driver is about to read zones from
 * exist in vCenter. A missing one would leave the CPI's zone labels unset and
 * the CSI node plugin without a topology, found only when the install's
 * verification times out. Warns and goes on when vCenter has no tagging API.
 */
export async function assertCategoriesExist(
  session: VsphereSession,
  categories: readonly string[],
  flag: string,
  warn: (message: string) => void,
): Promise<void> {
  if (categories.length === 0) return;
  let known: string[];
  try {
    known = (await (await session.tagging()).categories()).map((c) => c.name);
  } catch (err) {
    warn(`cannot check the tag categories ${categories.join(', ')}: ${(err as Error).message.split('\n')[0]}`);
    return;
  }
  const missing = categories.filter((c) => !known.includes(c));
  if (missing.length === 0) return;
  const near = missing.length === 1 ? closest(missing[0]!, known) : undefined;
  throw new VkError(
    `${flag} ${missing.join(', ')}: no such tag ${missing.length === 1 ? 'category' : 'categories'} in vCenter`,
    {
      hint: near
        ? `did you mean ${near}?`
        : `vk topology --create makes the categories and tags${known.length ? ` (vCenter has: ${known.join(', ')})` : ''}`,
    },
  );
}

export interface TopologyStepPlan {
  input: TopologyInput;
  state: TopologyState;
  plan: TopologyPlan;
}

export interface TopologyStepResult {
  dryRun: boolean;
  plan: TopologyPlan;
  /** The lines of what was done (a dry run: would be done). */
  done: string[];
  /** Every node's tags afterwards, read back from vCenter (a dry run: as they are). */
  report: TopologyReport;
}

/** Every node's place and the tags above it, over the context's session and kube client. */
export async function readTopology(ctx: Context): Promise<TopologyState> {
  const [session, kube] = await Promise.all([ctx.vsphere(), ctx.kube()]);
  return readTopologyState(session, kube, await session.tagging());
}

const changesOf = (p: TopologyPlan) => [
  ...p.createCategories.map((c) => `tag category ${c}`),
  ...p.createTags.map((t) => `tag ${t.tag} in ${t.category}`),
];

/** vk topology --create: the region and zone categories and tags created and attached. */
export const topologyStep: Step<TopologyInput, TopologyStepPlan, TopologyStepResult> = {
  id: 'topology',
  title: 'Zone and region tags',
  validate: () => undefined,
  async plan(ctx, input) {
    const state = await readTopology(ctx);
    return { input, state, plan: planTopology(state, input) };
  },
  describe: ({ plan: { createCategories, createTags, attach } }) => ({
    createCategories,
    createTags,
    attach: attach.map(({ category, tag, kind, object }) => ({ category, tag, kind, object })),
  }),
  async apply(ctx, { input, state, plan }, run) {
    if (run.dryRun !== 'none') {
      const done = [
        ...changesOf(plan).map((c) => `would create ${c}`),
        ...plan.attach.map((a) => `would attach ${a.category} tag ${a.tag} to ${a.kind} ${a.object}`),
      ];
      for (const line of done) ctx.log.info(line);
      return { dryRun: true, plan, done, report: topologyReport(state) };
    }
    const [session, kube] = await Promise.all([ctx.vsphere(), ctx.kube()]);
    const tagging = await session.tagging();
    const done = await applyTopology(tagging, state, plan, input, (line) => ctx.log.info(line));
    return { dryRun: false, plan, done, report: topologyReport(await readTopologyState(session, kube, tagging)) };
  },
  summary: (r) =>
    r.done.length === 0
      ? 'nothing to change: every node already has its region and zone tag'
      : r.dryRun
        ? `dry run: ${r.done.length} changes, nothing changed`
        : `${r.done.length} changes`,
  failure: () => undefined,
};
