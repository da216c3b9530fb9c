// Where a driver's workload mounts its config object, read from the manifest
// being installed: the volumeMount of the volume sourced from that Secret or
// ConfigMap. The CA bundle vk stores in the object is only visible there.

import { VkError } from '../../core/errors.js';
import { containersOf, findObject, podSpecOf, type KubeObject } from './objects.js';

export interface ConfigMountRef {
  /** The workload that reads the config, e.g. Deployment vsphere-csi-controller. */
  kind: 'Deployment' | 'DaemonSet';
  name: string;
  /** The object vk writes the config into. */
  source: { kind: 'Secret' | 'ConfigMap'; name: string };
  /** The key that must be visible in the mount (the CA bundle). */
  key: string;
}

interface Volume {
  name?: string;
  secret?: { secretName?: string; items?: { key?: string }[] };
  configMap?: { name?: string; items?: { key?: string }[] };
}

interface VolumeMount {
  name?: string;
  mountPath?: string;
  subPath?: string;
}

/**
 * The directory the workload's containers mount the config object at;
 * throws a one-line error when the manifest does not mount it whole (no such
 * workload or volume, only a subPath, an `items` list without the key, or
 * different paths in different containers).
 */
export function configMountDir(objects: readonly KubeObject[], ref: ConfigMountRef): string {
  const what = `${ref.source.kind} ${ref.source.name}`;
  const where = `${ref.kind} ${ref.name}`;
  const fail = (why: string) =>
    new VkError(`the manifest ${why}, so the driver cannot read the --ca-file bundle vk stores there`, {
      hint: `mount ${what} as a directory in ${where} (the release manifests mount it at /etc/cloud), or use --thumbprint`,
    });
  const workload = findObject(objects, ref.kind, ref.name);
  const spec = workload && podSpecOf(workload);
  if (!spec) throw fail(`has no ${where}`);
  const volumes = (Array.isArray(spec.volumes) ? spec.volumes : []) as Volume[];
  const volume = volumes.find((v) =>
    ref.source.kind === 'Secret' ? v.secret?.secretName === ref.source.name : v.configMap?.name === ref.source.name,
  );
  if (!volume?.name) throw fail(`does not mount ${what} in ${where}`);
  const items = ref.source.kind === 'Secret' ? volume.secret?.items : volume.configMap?.items;
  if (items && !items.some((i) => i.key === ref.key)) {
    throw fail(`projects only some keys of ${what} in ${where} (not ${ref.key})`);
  }
  const paths = new Set<string>();
  for (const c of containersOf(spec)) {
    const mounts = (Array.isArray(c.volumeMounts) ? c.volumeMounts : []) as VolumeMount[];
    for (const m of mounts) {
      if (m.name === volume.name && !m.subPath && m.mountPath) paths.add(m.mountPath.replace(/\/+$/, '') || '/');
    }
  }
  if (paths.size === 0) throw fail(`mounts ${what} in ${where} only by subPath or not at all`);
  if (paths.size > 1) throw fail(`mounts ${what} in ${where} at several paths (${[...paths].join(', ')})`);
  return [...paths][0]!;
}
