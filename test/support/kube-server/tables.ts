// The server-side Table (meta.k8s.io/v1) kubectl asks for when printing
// `kubectl get`: the columns of the real printers (pkg/printers/internalversion)
// for the kinds vk deals with.
import { apiVersionOf, type ResourceType } from './registry.js';
import type { KubeObject } from './types.js';

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
  columns: [col('Name', 'string', 'name'), col('Age')],
  cells: (o) => [o.metadata.name, age(o.metadata.creationTimestamp)],
};

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- printer cells read loosely typed objects

const or = (v: unknown, fallback = '<none>'): string =>
  v === undefined || v === null || v === '' ? fallback : String(v);
const modes = (m: string[] | undefined): string =>
  (m ?? [])
    .map((x) => ({ ReadWriteOnce: 'RWO', ReadOnlyMany: 'ROX', ReadWriteMany: 'RWX', ReadWriteOncePod: 'RWOP' })[x] ?? x)
    .join(',');

function podCells(o: KubeObject): Cell[] {
  const spec = (o.spec ?? {}) as Any;
  const status = (o.status ?? {}) as Any;
  const cs: Any[] = status.containerStatuses ?? [];
  const total = (spec.containers ?? []).length;
  const ready = cs.filter((c) => c.ready).length;
  const waiting = cs.find((c) => c.state?.waiting)?.state.waiting.reason;
  const terminated = cs.find((c) => c.state?.terminated)?.state.terminated.reason;
  const restarts = cs.reduce((n, c) => n + (c.restartCount ?? 0), 0);
  const phase = o.metadata.deletionTimestamp ? 'Terminating' : (waiting ?? terminated ?? status.phase ?? 'Unknown');
  return [
    o.metadata.name,
    `${ready}/${total}`,
    phase,
    restarts,
    age(o.metadata.creationTimestamp),
    or(status.podIP),
    or(spec.nodeName),
    '<none>',
    '<none>',
  ];
}

const TABLES: Record<string, TableSpec> = {
  Node: nodeTable,
  Pod: {
    columns: [
      col('Name', 'string', 'name'),
      col('Ready'),
      col('Status'),
      col('Restarts', 'string'),
      col('Age'),
      col('IP', 'string', '', 1),
      col('Node', 'string', '', 1),
      col('Nominated Node', 'string', '', 1),
      col('Readiness Gates', 'string', '', 1),
    ],
    cells: podCells,
  },
  Namespace: {
    columns: [col('Name', 'string', 'name'), col('Status'), col('Age')],
    cells: (o) => [
      o.metadata.name,
      or((o.status as Any | undefined)?.phase, 'Active'),
      age(o.metadata.creationTimestamp),
    ],
  },
  DaemonSet: {
    columns: [
      col('Name', 'string', 'name'),
      col('Desired', 'integer'),
      col('Current', 'integer'),
      col('Ready', 'integer'),
      col('Up-to-date', 'integer'),
      col('Available', 'integer'),
      col('Node Selector'),
      col('Age'),
    ],
    cells: (o) => {
      const s = (o.status ?? {}) as Any;
      const sel = (o.spec as Any)?.template?.spec?.nodeSelector as Record<string, string> | undefined;
      const selector =
        sel && Object.keys(sel).length
          ? Object.entries(sel)
              .map(([k, v]) => `${k}=${v}`)
              .join(',')
          : '<none>';
      return [
        o.metadata.name,
        s.desiredNumberScheduled ?? 0,
        s.currentNumberScheduled ?? 0,
        s.numberReady ?? 0,
        s.updatedNumberScheduled ?? 0,
        s.numberAvailable ?? 0,
        selector,
        age(o.metadata.creationTimestamp),
      ];
    },
  },
  Deployment: {
    columns: [
      col('Name', 'string', 'name'),
      col('Ready'),
      col('Up-to-date', 'integer'),
      col('Available', 'integer'),
      col('Age'),
    ],
    cells: (o) => {
      const s = (o.status ?? {}) as Any;
      return [
        o.metadata.name,
        `${s.readyReplicas ?? 0}/${(o.spec as Any)?.replicas ?? 1}`,
        s.updatedReplicas ?? 0,
        s.availableReplicas ?? 0,
        age(o.metadata.creationTimestamp),
      ];
    },
  },
  PersistentVolumeClaim: {
    columns: [
      col('Name', 'string', 'name'),
      col('Status'),
      col('Volume'),
      col('Capacity'),
      col('Access Modes'),
      col('StorageClass'),
      col('VolumeAttributesClass'),
      col('Age'),
      col('VolumeMode', 'string', '', 1),
    ],
    cells: (o) => {
      const spec = (o.spec ?? {}) as Any;
      const s = (o.status ?? {}) as Any;
      return [
        o.metadata.name,
        o.metadata.deletionTimestamp ? 'Terminating' : or(s.phase, 'Pending'),
        or(spec.volumeName, ''),
        or(s.capacity?.storage, ''),
        modes(s.accessModes),
        or(spec.storageClassName, ''),
        '<unset>',
        age(o.metadata.creationTimestamp),
        or(spec.volumeMode, 'Filesystem'),
      ];
    },
  },
  PersistentVolume: {
    columns: [
      col('Name', 'string', 'name'),
      col('Capacity'),
      col('Access Modes'),
      col('Reclaim Policy'),
      col('Status'),
      col('Claim'),
      col('StorageClass'),
      col('VolumeAttributesClass'),
      col('Reason'),
      col('Age'),
    ],
    cells: (o) => {
      const spec = (o.spec ?? {}) as Any;
      const claim = spec.claimRef ? `${spec.claimRef.namespace}/${spec.claimRef.name}` : '';
      return [
        o.metadata.name,
        or(spec.capacity?.storage, ''),
        modes(spec.accessModes),
        or(spec.persistentVolumeReclaimPolicy, ''),
        or((o.status as Any)?.phase, ''),
        claim,
        or(spec.storageClassName, ''),
        '<unset>',
        '',
        age(o.metadata.creationTimestamp),
      ];
    },
  },
  StorageClass: {
    columns: [
      col('Name', 'string', 'name'),
      col('Provisioner'),
      col('ReclaimPolicy'),
      col('VolumeBindingMode'),
      col('AllowVolumeExpansion'),
      col('Age'),
    ],
    cells: (o) => {
      const sc = o as Any;
      const isDefault = o.metadata.annotations?.['storageclass.kubernetes.io/is-default-class'] === 'true';
      return [
        isDefault ? `${o.metadata.name} (default)` : o.metadata.name,
        sc.provisioner,
        sc.reclaimPolicy ?? 'Delete',
        sc.volumeBindingMode ?? 'Immediate',
        String(sc.allowVolumeExpansion ?? false),
        age(o.metadata.creationTimestamp),
      ];
    },
  },
  ConfigMap: {
    columns: [col('Name', 'string', 'name'), col('Data', 'integer'), col('Age')],
    cells: (o) => [
      o.metadata.name,
      Object.keys((o as Any).data ?? {}).length + Object.keys((o as Any).binaryData ?? {}).length,
      age(o.metadata.creationTimestamp),
    ],
  },
  Secret: {
    columns: [col('Name', 'string', 'name'), col('Type'), col('Data', 'integer'), col('Age')],
    cells: (o) => [
      o.metadata.name,
      (o as Any).type ?? 'Opaque',
      Object.keys((o as Any).data ?? {}).length,
      age(o.metadata.creationTimestamp),
    ],
  },
  Event: {
    columns: [col('Last Seen'), col('Type'), col('Reason'), col('Object'), col('Message')],
    cells: (o) => {
      const e = o as Any;
      return [
        age(e.lastTimestamp ?? e.eventTime ?? o.metadata.creationTimestamp),
        e.type,
        e.reason,
        `${String(e.involvedObject?.kind ?? '').toLowerCase()}/${e.involvedObject?.name}`,
        e.message,
      ];
    },
  },
};

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
