// The drivers' configuration read back from the cluster, for `vk doctor`:
// CPI vsphere.conf (YAML, or the legacy INI format the CPI still accepts)
// and CSI csi-vsphere.conf (gcfg INI), reduced to what can be checked
// against vCenter: servers, ports, datacenters, TLS trust, the CSI user,
// cluster-id and file-share targets. Values a vcenter entry leaves unset
// inherit [Global] / global, as both drivers do. Passwords are not kept.

import { iniValue, parseIni, type ParsedIniSection } from './ini.js';

export interface DriverVcenter {
  server: string;
  port?: number;
  datacenters: string[];
  insecure: boolean;
  thumbprint?: string;
  caFile?: string;
  /**
   * The CA bundle the driver reads at caFile, from the key of its config
   * object named like the file (vk stores it there); null when the object has
   * no such key, so no pod has the file; unset when not looked up.
   */
  caPem?: string | null;
  /** CSI only: the user the driver logs in as. */
  user?: string;
  /** CSI only: targetvSANFileShareClusters and targetvSANFileShareDatastoreURLs (file volumes). */
  fileShareClusters?: string[];
  fileShareDatastoreUrls?: string[];
}

export interface DriverConfig {
  driver: 'cpi' | 'csi';
  /** Where it was read from, e.g. `ConfigMap kube-system/vsphere-cloud-config (vsphere.conf)`. */
  source: string;
  vcenters: DriverVcenter[];
  /** CSI only: [Global] cluster-id; '' when absent or empty (the driver treats both alike). */
  clusterId?: string;
  /**
   * The vSphere tag categories the driver reads zones from: the CPI's
   * `labels` region/zone, the CSI driver's `[Labels] topology-categories`.
   * Empty when topology is not configured.
   */
  topologyCategories?: string[];
  /** CPI only: the `labels` region and zone categories (the CPI sets zone labels only when both are set). */
  labels?: { region?: string; zone?: string };
}

const list = (v: string | undefined) =>
  (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
const bool = (v: string | undefined) => v !== undefined && /^(1|true|yes|on)$/i.test(v.trim());
const port = (v: string | number | undefined) => {
  const n = Number(v);
  return v === undefined || v === '' || !Number.isInteger(n) ? undefined : n;
};

function vcentersFromIni(sections: ParsedIniSection[], withUser: boolean): DriverVcenter[] {
  const global = sections.find((s) => s.name.toLowerCase() === 'global');
  const g = (s: ParsedIniSection, key: string) => iniValue(s, key) ?? iniValue(global, key);
  return sections
    .filter((s) => s.name.toLowerCase() === 'virtualcenter' && s.subsection)
    .map((s) => ({
      server: s.subsection!,
      port: port(g(s, 'port')),
      datacenters: list(g(s, 'datacenters')),
      insecure: bool(g(s, 'insecure-flag')),
      thumbprint: g(s, 'thumbprint') || undefined,
      caFile: g(s, 'ca-file') || undefined,
      ...(withUser
        ? {
            user: g(s, 'user') ?? '',
            fileShareClusters: list(iniValue(s, 'targetvSANFileShareClusters')),
            fileShareDatastoreUrls: list(iniValue(s, 'targetvSANFileShareDatastoreURLs')),
          }
        : {}),
    }));
}

/** csi-vsphere.conf; throws with the line it cannot read. */
export function parseCsiConf(text: string, source: string): DriverConfig {
  const sections = parseIni(text);
  const global = sections.find((s) => s.name.toLowerCase() === 'global');
  const labels = sections.find((s) => s.name.toLowerCase() === 'labels');
  return {
    driver: 'csi',
    source,
    vcenters: vcentersFromIni(sections, true),
    clusterId: iniValue(global, 'cluster-id') ?? '',
    topologyCategories: list(iniValue(labels, 'topology-categories')),
  };
}

interface CpiYaml {
  labels?: { region?: string; zone?: string };
  global?: { port?: number | string; insecureFlag?: boolean; caFile?: string; thumbprint?: string };
  vcenter?: Record<
    string,
    {
      server?: string;
      port?: number | string;
      datacenters?: string[] | string;
      insecureFlag?: boolean;
      caFile?: string;
      thumbprint?: string;
    }
  >;
}

function cpiLabels(region: unknown, zone: unknown): Pick<DriverConfig, 'labels' | 'topologyCategories'> {
  const r = typeof region === 'string' && region.trim() ? region.trim() : undefined;
  const z = typeof zone === 'string' && zone.trim() ? zone.trim() : undefined;
  return {
    topologyCategories: [r, z].filter((c): c is string => c !== undefined),
    ...(r || z ? { labels: { ...(r && { region: r }), ...(z && { zone: z }) } } : {}),
  };
}

/** CPI vsphere.conf: YAML when it parses to a mapping with `vcenter`/`global`, else legacy INI. */
export async function parseCpiConf(text: string, source: string): Promise<DriverConfig> {
  const yaml = await import('js-yaml');
  let doc: unknown;
  try {
    doc = yaml.load(text);
  } catch {
    doc = undefined;
  }
  if (doc && typeof doc === 'object' && ('vcenter' in doc || 'global' in doc)) {
    const y = doc as CpiYaml;
    const g = y.global ?? {};
    const vcenters = Object.entries(y.vcenter ?? {}).map(([key, vc]) => ({
      server: vc?.server || key,
      port: port(vc?.port ?? g.port),
      datacenters: Array.isArray(vc?.datacenters) ? vc.datacenters.map(String) : list(vc?.datacenters),
      insecure: vc?.insecureFlag ?? g.insecureFlag ?? false,
      thumbprint: vc?.thumbprint || g.thumbprint || undefined,
      caFile: vc?.caFile || g.caFile || undefined,
    }));
    return { driver: 'cpi', source, vcenters, ...cpiLabels(y.labels?.region, y.labels?.zone) };
  }
  const sections = parseIni(text);
  const labels = sections.find((s) => s.name.toLowerCase() === 'labels');
  return {
    driver: 'cpi',
    source,
    vcenters: vcentersFromIni(sections, false),
    ...cpiLabels(iniValue(labels, 'region'), iniValue(labels, 'zone')),
  };
}
