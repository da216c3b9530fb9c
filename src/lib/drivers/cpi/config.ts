// The vSphere CPI's configuration: the credentials Secret and the
// `vsphere-cloud-config` ConfigMap whose `vsphere.conf` is the CPI's YAML
// format. Key names and shape follow kubernetes/cloud-provider-vsphere
// pkg/common/config/types_yaml.go (CommonConfigYAML: `global`, `vcenter`,
// `labels`, and the CPI's own `nodes`; yaml tags insecureFlag, secretName, secretNamespace, caFile,
// thumbprint, server, port, datacenters) read with gopkg.in/yaml.v2; the
// Secret keys `<server>.username` / `<server>.password` follow
// pkg/common/credentialmanager/credentialmanager.go (parseConfig), which
// looks credentials up by the `server` value and trims one trailing newline.

import { isIP } from 'node:net';
import { UsageError } from '../../core/errors.js';
import type { Secret } from '../../core/secret.js';
import type { ConfigMapObject, GeneratedObject, SecretObject } from '../config-objects.js';
import {
  validateListItems,
  validateNamespace,
  validateObjectName,
  validatePassword,
  validateSecretKey,
} from '../validate.js';

export const cpiConfigMap = { name: 'vsphere-cloud-config', namespace: 'kube-system' } as const;
export const cpiSecretDefaults = { name: 'vsphere-cloud-secret', namespace: 'kube-system' } as const;
export const cpiSecretLabels = { 'vsphere-cpi-infra': 'secret', component: 'cloud-controller-manager' } as const;

export interface CpiConfigInput {
  /** vCenter host name or IP as the CPI connects to it. */
  server: string;
  port: number;
  /** Key of the vcenter entry (default: the server). */
  serverName?: string;
  username: string;
  password: Secret | undefined;
  datacenters: readonly string[];
  insecure: boolean;
  /** caFile: the CA bundle's path inside the CPI pod. */
  caFile?: string;
  /** The bundle itself, stored under `key` in the ConfigMap the CPI mounts. */
  caBundle?: { key: string; pem: string };
  thumbprint?: string;
  secretName?: string;
  secretNamespace?: string;
  /** vSphere tag categories for the region and zone node labels. */
  region?: string;
  zone?: string;
  /** How the CPI picks each node's addresses from its VM's NICs (the `nodes` section). */
  nodes?: CpiNodeAddresses;
}

/**
 * The CPI's `nodes` options (NodesYAML in pkg/cloudprovider/vsphere/config/
 * types_yaml.go): which of a VM's IPs become the node's InternalIP and
 * ExternalIP. Subnets are CIDR lists, written comma-separated as the CPI's
 * parseCIDRs splits them; networks are vSphere network (port group) names,
 * compared case-insensitively.
 */
export interface CpiNodeAddresses {
  internalNetworkSubnetCidr?: string[];
  externalNetworkSubnetCidr?: string[];
  internalVmNetworkName?: string;
  externalVmNetworkName?: string;
  excludeInternalNetworkSubnetCidr?: string[];
  excludeExternalNetworkSubnetCidr?: string[];
}

/** Each option with the flag that sets it, for messages and flag help. */
export const CPI_NODE_OPTIONS = {
  internalNetworkSubnetCidr: '--internal-network-subnet-cidr',
  externalNetworkSubnetCidr: '--external-network-subnet-cidr',
  internalVmNetworkName: '--internal-vm-network-name',
  externalVmNetworkName: '--external-vm-network-name',
  excludeInternalNetworkSubnetCidr: '--exclude-internal-network-subnet-cidr',
  excludeExternalNetworkSubnetCidr: '--exclude-external-network-subnet-cidr',
} as const satisfies Record<keyof CpiNodeAddresses, string>;

/** The YAML document of vsphere.conf, as yaml.v2 reads it into CommonConfigYAML. */
export interface CpiVsphereConf {
  global: {
    port: number;
    insecureFlag: boolean;
    secretName: string;
    secretNamespace: string;
    caFile?: string;
    thumbprint?: string;
  };
  vcenter: Record<string, { server: string; datacenters: string[]; thumbprint?: string }>;
  labels?: { region?: string; zone?: string };
  nodes?: Partial<Record<keyof CpiNodeAddresses, string>>;
}

export function validateCpiInput(input: CpiConfigInput): void {
  if (input.server.trim() === '') throw new UsageError('the vCenter server is empty; set --url');
  validateSecretKey(
    `${input.server}.username`,
    'the CPI names its credential keys after the vCenter server; address vCenter by host name',
  );
  if (input.serverName !== undefined && input.serverName.trim() === '') throw new UsageError('--server-name is empty');
  if (!input.username) throw new UsageError('the CPI user name is empty; set --cpi-username or --username');
  validatePassword(input.password, '--cpi-password or --password');
  if (input.username.endsWith('\n') || input.password.reveal().endsWith('\n')) {
    throw new UsageError('the CPI user name or password ends with a newline, which the CPI strips when it reads them');
  }
  if (input.datacenters.length === 0) throw new UsageError('no datacenter given; set --datacenter');
  validateListItems(input.datacenters, '--datacenter');
  validateObjectName(input.secretName ?? cpiSecretDefaults.name, '--secret-name');
  validateNamespace(input.secretNamespace ?? cpiSecretDefaults.namespace, '--secret-namespace');
  for (const [flag, v] of [
    ['--region', input.region],
    ['--zone', input.zone],
  ] as const) {
    if (v !== undefined && v.trim() === '') throw new UsageError(`${flag} is empty`);
  }
  // The CPI's zones lookup returns nothing unless both categories are set (cloud-provider-vsphere zones.go).
  if ((input.region === undefined) !== (input.zone === undefined)) {
    throw new UsageError(
      `--${input.region === undefined ? 'zone' : 'region'} alone: the CPI sets zone and region labels only when both categories are set`,
      { hint: 'pass both --region and --zone (vk topology --create makes the categories k8s-region and k8s-zone)' },
    );
  }
  validateNodeAddresses(input.nodes ?? {});
}

/** A CIDR as Go's net.ParseCIDR takes it: an IPv4 or IPv6 address, a slash, a prefix length in range. */
export function isCidr(value: string): boolean {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(value);
  if (!m) return false;
  const family = isIP(m[1]!);
  const bits = Number(m[2]);
  return family !== 0 && bits <= (family === 4 ? 32 : 128);
}

function validateNodeAddresses(nodes: CpiNodeAddresses): void {
  for (const key of Object.keys(CPI_NODE_OPTIONS) as Array<keyof CpiNodeAddresses>) {
    const flag = CPI_NODE_OPTIONS[key];
    const v = nodes[key];
    if (v === undefined) continue;
    if (typeof v === 'string') {
      if (v.trim() === '') throw new UsageError(`${flag} is empty`);
      continue;
    }
    for (const cidr of v) {
      if (!isCidr(cidr)) {
        throw new UsageError(`invalid ${flag} "${cidr}": expected a CIDR such as 10.0.0.0/16 or fd00::/64`);
      }
    }
  }
}

export function cpiVsphereConf(input: CpiConfigInput): CpiVsphereConf {
  const conf: CpiVsphereConf = {
    global: {
      port: input.port,
      insecureFlag: input.insecure,
      secretName: input.secretName ?? cpiSecretDefaults.name,
      secretNamespace: input.secretNamespace ?? cpiSecretDefaults.namespace,
      ...(input.caFile !== undefined && { caFile: input.caFile }),
      ...(input.thumbprint !== undefined && { thumbprint: input.thumbprint }),
    },
    vcenter: {
      [input.serverName ?? input.server]: {
        server: input.server,
        datacenters: [...input.datacenters],
        ...(input.thumbprint !== undefined && { thumbprint: input.thumbprint }),
      },
    },
  };
  const nodes = Object.entries(input.nodes ?? {}).filter(([, v]) => v !== undefined && v.length > 0);
  if (nodes.length > 0) {
    conf.nodes = Object.fromEntries(nodes.map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : v]));
  }
  if (input.region !== undefined || input.zone !== undefined) {
    conf.labels = {
      ...(input.region !== undefined && { region: input.region }),
      ...(input.zone !== undefined && { zone: input.zone }),
    };
  }
  return conf;
}

/** The CPI's Secret and ConfigMap; validates first, throws UsageError on bad input. */
export async function generateCpiObjects(input: CpiConfigInput): Promise<GeneratedObject[]> {
  validateCpiInput(input);
  const yaml = await import('js-yaml');
  const secret: SecretObject = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: input.secretName ?? cpiSecretDefaults.name,
      namespace: input.secretNamespace ?? cpiSecretDefaults.namespace,
      labels: { ...cpiSecretLabels },
    },
    type: 'Opaque',
    stringData: {
      [`${input.server}.username`]: input.username,
      [`${input.server}.password`]: input.password!,
    },
  };
  const configMap: ConfigMapObject = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { ...cpiConfigMap },
    data: {
      'vsphere.conf': yaml.dump(cpiVsphereConf(input), { noRefs: true, lineWidth: -1 }),
      ...(input.caBundle && { [input.caBundle.key]: input.caBundle.pem }),
    },
  };
  return [secret, configMap];
}
