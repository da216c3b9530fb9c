// The vCenter CA bundle the drivers trust (--ca-file). A path on the user's
// machine means nothing inside a pod, so the bundle's content travels in the
// object the driver already mounts — a key of the CSI Secret
// vsphere-config-secret, a key of the CPI ConfigMap vsphere-cloud-config —
// and the config names the file's path inside the pod.

import { posix } from 'node:path';
import { UsageError } from '../core/errors.js';
import { readCaFiles } from '../vsphere/soap/tls.js';
import { validateSecretKey } from './validate.js';

/**
 * Where the release manifests of both drivers mount their config object
 * (CSI controller: Secret vsphere-config-secret; CPI DaemonSet: ConfigMap
 * vsphere-cloud-config), checked in every manifest vk's table names. Used
 * when no manifest is at hand (`vk generate`); `vk install` reads the mount
 * from the manifest it applies.
 */
export const DRIVER_CONFIG_DIR = '/etc/cloud';

/** The key of the Secret / ConfigMap that holds the bundle, and so its file name in the pod. */
export const CA_BUNDLE_KEY = 'vcenter-ca.pem';

export interface CaBundle {
  /** The Secret / ConfigMap key. */
  key: string;
  /** Every certificate of the --ca-file(s), PEM. */
  pem: string;
  /** The bundle's path inside the driver pod, for ca-file / caFile. */
  path: string;
}

/** A Secret / ConfigMap key must be a file name the API server accepts. */
export function validateCaBundleKey(key: string): void {
  validateSecretKey(key, 'the CA bundle is stored under this key of the driver config object');
}

/** The bundle's path in a pod that mounts the config object at `mountDir`. */
export function caBundlePath(mountDir: string, key = CA_BUNDLE_KEY): string {
  return posix.join(mountDir, key);
}

/**
 * Reads --ca-file (several files joined with ':', like GOVC_TLS_CA_CERTS),
 * checks every file holds PEM certificates, and places the bundle under
 * `mountDir`. Errors are one line naming the file.
 */
export async function readCaBundle(caFile: string, mountDir = DRIVER_CONFIG_DIR): Promise<CaBundle> {
  validateCaBundleKey(CA_BUNDLE_KEY);
  const pems = (await readCaFiles(caFile)).map((pem) => pem.trim());
  if (pems.length === 0) throw new UsageError('--ca-file is empty');
  return { key: CA_BUNDLE_KEY, pem: pems.join('\n') + '\n', path: caBundlePath(mountDir) };
}
