// Discovery documents (/version, /api, /apis, APIResourceList) and the
// server-side Table kubectl asks for when printing `kubectl get`.
import { apiGroups, apiVersionOf, RESOURCES, verbsOf, type ResourceType } from './registry.js';
import type { KubeObject } from './types.js';

export function versionInfo(gitVersion: string): Record<string, string> {
  const m = /^v(\d+)\.(\d+)/.exec(gitVersion);
  return {
    major: m?.[1] ?? '1',
    minor: m?.[2] ?? '31',
    gitVersion,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2024-12-10T11:36:38Z',
    goVersion: 'go1.22.9',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}

export const coreVersions = (address: string): object => ({
  kind: 'APIVersions',
  versions: ['v1'],
  serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: address }],
});

export function groupList(): object {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: apiGroups().map(({ group, versions }) => ({
      name: group,
      versions: versions.map((v) => ({ groupVersion: `${group}/${v}`, version: v })),
      preferredVersion: { groupVersion: `${group}/${versions[0]}`, version: versions[0] },
    })),
  };
}

export function group(name: string): object | undefined {
  const g = apiGroups().find((x) => x.group === name);
  if (!g) return undefined;
  return {
    kind: 'APIGroup',
    apiVersion: 'v1',
    name,
    versions: g.versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v })),
    preferredVersion: { groupVersion: `${name}/${g.versions[0]}`, version: g.versions[0] },
  };
}

export function resourceList(groupName: string, version: string): object | undefined {
  const rs = RESOURCES.filter((r) => r.group === groupName && r.version === version);
  if (!rs.length) return undefined;
  const resources: object[] = [];
  for (const r of rs) {
    resources.push({
      name: r.plural,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: verbsOf(r),
      ...(r.shortNames ? { shortNames: r.shortNames } : {}),
    });
    for (const sub of r.subresources ?? []) {
      resources.push({
        name: `${r.plural}/${sub}`,
        singularName: '',
        namespaced: r.namespaced,
        kind: sub === 'log' ? 'Pod' : r.kind,
        verbs: sub === 'log' ? ['get'] : ['get', 'patch', 'update'],
      });
    }
  }
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: groupName ? `${groupName}/${version}` : version,
    resources,
  };
}

// ---- Table (meta.k8s.io/v1) ----

interface Column {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

const col = (name: string, type = 'string', format = '', priority = 0): Column => ({
  name,
  type,
  format,
  description: name,
  priority,
});

type Cell = string | number;

interface TableSpec {
  columns: Column[];
  cells: (o: KubeObject) => Cell[];
}

/** Age as kubectl prints it (k8s.io/apimachinery/pkg/util/duration.HumanDuration). */
export function age(ts: string | undefined): string {
  if (!ts) return '<unknown>';
  const seconds = Math.floor((Date.now() - Date.parse(ts)) / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  const pair = (a: number, ua: string, b: number, ub: string): string => (b === 0 ? `${a}${ua}` : `${a}${ua}${b}${ub}`);
  if (minutes < 10) return pair(minutes, 'm', seconds % 60, 's');
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return pair(hours, 'h', minutes % 60, 'm');
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return pair(Math.floor(hours / 24), 'd', hours % 24, 'h');
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) return pair(Math.floor(hours / 24 / 365), 'y', Math.floor(hours / 24) % 365, 'd');
  return `${Math.floor(hours / 24 / 365)}y`;
}

const nodeTable: TableSpec = {
  columns: [
    col('Name', 'string', 'name'),
    col('Status'),
    col('Roles'),
    col('Age'),
    col('Version'),
    col('Internal-IP', 'string', '', 1),
    col('External-IP', 'string', '', 1),
    col('OS-Image', 'string', '', 1),
    col('Kernel-Version', 'string', '', 1),
    col('Container-Runtime', 'string', '', 1),
  ],
  cells: (o) => {
    const status = (o.status ?? {}) as {
      conditions?: { type: string; status: string }[];
      addresses?: { type: string; address: string }[];
      nodeInfo?: Record<string, string>;
    };
    const ready = status.conditions?.find((c) => c.type === 'Ready');
    let state = ready ? (ready.status === 'True' ? 'Ready' : 'NotReady') : 'Unknown';
    if ((o.spec as { unschedulable?: boolean } | undefined)?.unschedulable) state += ',SchedulingDisabled';
    const roles = Object.keys(o.metadata.labels ?? {})
      .filter((l) => l.startsWith('node-role.kubernetes.io/'))
      .map((l) => l.slice('node-role.kubernetes.io/'.length))
      .sort();
    const addr = (t: string): string => status.addresses?.find((a) => a.type === t)?.address ?? '<none>';
    const info = status.nodeInfo ?? {};
    return [
      o.metadata.name,
      state,
      roles.length ? roles.join(',') : '<none>',
      age(o.metadata.creationTimestamp),
      info.kubeletVersion ?? '',
      addr('InternalIP'),
      addr('ExternalIP'),
      info.osImage ?? '<unknown>',
      info.kernelVersion ?? '<unknown>',
      info.containerRuntimeVersion ?? '<unknown>',
    ];
  },
};

const defaultTable: TableSpec = {
  columns: [col('Name', 'string', 'name'), col('Created At', 'date')],
  cells: (o) => [o.metadata.name, o.metadata.creationTimestamp ?? ''],
};

const TABLES: Record<string, TableSpec> = { Node: nodeTable };

export function toTable(r: ResourceType, items: KubeObject[], resourceVersion: string, includeObject: string): object {
  const spec = TABLES[r.kind] ?? defaultTable;
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    columnDefinitions: spec.columns,
    rows: items.map((o) => ({
      cells: spec.cells(o),
      object:
        includeObject === 'None'
          ? undefined
          : includeObject === 'Object'
            ? { ...o, apiVersion: apiVersionOf(r), kind: r.kind }
            : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
    })),
  };
}
