// Datastores as `govc datastore.info` shows them, plus which hosts mount
// each one and whether every host of its cluster does (a CSI datastore must
// be shared). All datastores, hosts, clusters and the folders needed for
// inventory paths come from ONE RetrievePropertiesEx walking the inventory.

import picomatch from 'picomatch';
import { VkError } from '../core/errors.js';
import type { VimClient } from './soap/client.js';
import { MAX_DEPTH } from './soap/limits.js';
import { chooseDatacenter, readComputeTree, type DatacenterRef } from './inventory.js';
import { refKey, type DatastoreHostMount, type DatastoreInfo, type DatastoreSummary, type MoRef } from './types.js';

export interface DatastoreHost {
  name: string;
  /** Cluster (or standalone compute resource) name. */
  cluster?: string;
  mounted: boolean;
  accessible: boolean;
  accessMode?: string;
}

export interface DatastoreCluster {
  name: string;
  path: string;
  /** Hosts in the cluster. */
  hosts: number;
  /** Of those, hosts that have the datastore mounted and accessible. */
  mounted: number;
  shared: boolean;
}

export interface DatastoreReport {
  name: string;
  /** Inventory path, e.g. /DC0/datastore/LocalDS_0. */
  path: string;
  datacenter: string;
  type: string;
  url: string;
  capacity: number;
  free: number;
  uncommitted?: number;
  accessible: boolean;
  maintenanceMode?: string;
  /** NFS server and export, "host:/path". */
  remote?: string;
  hosts: DatastoreHost[];
  clusters: DatastoreCluster[];
  /** Mounted by every host of every cluster that sees it (false when no cluster sees it). */
  sharedAcrossCluster: boolean;
  ref: MoRef;
}

export interface DatastoreQuery {
  /** Name globs (picomatch); empty means all. */
  globs?: string[];
  /** Datacenter name or path; all datacenters when undefined. */
  datacenter?: string;
}

interface Props {
  name: string;
  parent: MoRef;
  summary: DatastoreSummary;
  info: DatastoreInfo;
  host: DatastoreHostMount[];
}

export async function listDatastores(client: VimClient, query: DatastoreQuery = {}): Promise<DatastoreReport[]> {
  const { objects, paths } = await readComputeTree<Props>(client, { datastore: ['summary', 'info', 'host'] });
  const byKey = new Map(objects.map((o) => [refKey(o.ref), o]));

  const datacenters: DatacenterRef[] = objects
    .filter((o) => o.ref.type === 'Datacenter')
    .map((o) => ({ ref: o.ref, name: o.props.name ?? '', path: paths.pathOf(o.ref) }) as DatacenterRef);
  const dc = query.datacenter ? chooseDatacenter(datacenters, query.datacenter) : undefined;

  const datacenterOf = (ref: MoRef): MoRef | undefined => {
    let cur: MoRef | undefined = ref;
    for (let i = 0; cur && i < MAX_DEPTH; i++) {
      if (cur.type === 'Datacenter') return cur;
      cur = byKey.get(refKey(cur))?.props.parent;
    }
    return undefined;
  };

  // Hosts per compute resource: "shared across the cluster" compares against these.
  const hostsOf = new Map<string, string[]>();
  for (const o of objects) {
    if (o.ref.type !== 'HostSystem' || !o.props.parent) continue;
    const k = refKey(o.props.parent);
    hostsOf.set(k, [...(hostsOf.get(k) ?? []), refKey(o.ref)]);
  }

  const matchers = (query.globs ?? []).map((g) => picomatch(g, { dot: true }));
  const reports: DatastoreReport[] = [];
  for (const o of objects) {
    if (o.ref.type !== 'Datastore') continue;
    const name = o.props.name ?? o.props.summary?.name ?? o.ref.value;
    if (matchers.length && !matchers.some((m) => m(name))) continue;
    const dcRef = datacenterOf(o.ref);
    if (dc && (!dcRef || refKey(dcRef) !== refKey(dc.ref))) continue;
    reports.push(report(o.ref, o.props, name));
  }

  function report(ref: MoRef, p: Partial<Props>, name: string): DatastoreReport {
    const summary = p.summary;
    const nas = p.info?.nas;
    const usable = new Set<string>();
    const hosts: DatastoreHost[] = (p.host ?? []).map((m) => {
      const host = byKey.get(refKey(m.key));
      const cr = host?.props.parent ? byKey.get(refKey(host.props.parent)) : undefined;
      const mounted = m.mountInfo?.mounted !== false;
      const accessible = m.mountInfo?.accessible !== false;
      if (mounted && accessible) usable.add(refKey(m.key));
      return {
        name: host?.props.name ?? m.key.value,
        cluster: cr?.ref.type === 'ClusterComputeResource' ? cr.props.name : undefined,
        mounted,
        accessible,
        accessMode: m.mountInfo?.accessMode,
      };
    });
    const clusterKeys = new Set<string>();
    for (const m of p.host ?? []) {
      const parent = byKey.get(refKey(m.key))?.props.parent;
      if (parent?.type === 'ClusterComputeResource') clusterKeys.add(refKey(parent));
    }
    const clusters: DatastoreCluster[] = [...clusterKeys].map((k) => {
      const members = hostsOf.get(k) ?? [];
      const mounted = members.filter((h) => usable.has(h)).length;
      const cr = byKey.get(k)!;
      return {
        name: cr.props.name ?? cr.ref.value,
        path: paths.pathOf(cr.ref),
        hosts: members.length,
        mounted,
        shared: mounted === members.length,
      };
    });
    clusters.sort((a, b) => a.path.localeCompare(b.path));
    hosts.sort((a, b) => a.name.localeCompare(b.name));
    const dcRef = datacenterOf(ref);
    return {
      name,
      path: paths.pathOf(ref),
      datacenter: dcRef ? (byKey.get(refKey(dcRef))?.props.name ?? '') : '',
      type: summary?.type ?? '',
      url: summary?.url ?? p.info?.url ?? '',
      capacity: summary?.capacity ?? 0,
      free: summary?.freeSpace ?? 0,
      uncommitted: summary?.uncommitted,
      accessible: summary?.accessible ?? false,
      maintenanceMode: summary?.maintenanceMode,
      remote: nas ? `${nas.remoteHost}:${nas.remotePath}` : undefined,
      hosts,
      clusters,
      sharedAcrossCluster: clusters.length > 0 && clusters.every((c) => c.shared),
      ref,
    };
  }

  if (reports.length === 0 && matchers.length) {
    throw new VkError(`no datastore matches ${query.globs!.map((g) => `"${g}"`).join(', ')}`, {
      hint: "run 'vk datastores' to list them",
    });
  }
  return reports.sort((a, b) => a.path.localeCompare(b.path));
}
