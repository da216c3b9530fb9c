// The vSphere CPI's configuration: the credentials Secret and the
// `vsphere-cloud-config` ConfigMap whose `vsphere.conf` is the CPI's YAML
// format. Key names and shape follow kubernetes/cloud-provider-vsphere
// pkg/common/config/types_yaml.go (CommonConfigYAML: `global`, `vcenter`,
// `labels`; yaml tags insecureFlag, secretName, secretNamespace, caFile,
// thumbprint, server, port, datacenters) read with gopkg.in/yaml.v2; the
// Secret keys `<server>.username` / `<server>.password` follow
// pkg/common/credentialmanager/credentialmanager.go (parseConfig), which
// looks credentials up by the `server` value and trims one trailing newline.

import { UsageError } from '../errors.js';
import type { Secret } from '../secret.js';
import type { ConfigMapObject, GeneratedObject, SecretObject } from './objects.js';
import {
  validateListItems,
  validateNamespace,
  validateObjectName,
  validatePassword,
  validateSecretKey,
} from './validate.js';

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
}

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
