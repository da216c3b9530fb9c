// vk doctor's snapshots check: whether the pieces VolumeSnapshots need are
// there and agree with the CSI driver. Not installed at all is a skip with the
// command that adds them (snapshots are optional); half installed, a
// controller at another release than the driver's sidecar, or no class for
// the driver is a warning with the fix. Never throws.

import type { KubernetesObject, V1Deployment } from '@kubernetes/client-node';
import type { KubeClient } from '../kube/client.js';
import { CSI_CONTROLLER, CSI_DRIVER_NAME, CSI_NAMESPACE } from '../drivers/names.js';
import { check, type CheckResult } from '../doctor/checks.js';
import {
  ANY_CONTROLLER_IMAGE,
  DEFAULT_CLASS_ANNOTATION,
  SNAPSHOT_API_VERSION,
  SNAPSHOT_CRDS,
  SNAPSHOTTER_SIDECAR,
  sidecarVersion,
} from './release.js';

const FIX = 'vk install snapshots';

const result = (status: CheckResult['status'], detail: string, fix?: string) => check('snapshots', status, detail, fix);

export async function snapshotsCheck(client: KubeClient): Promise<CheckResult> {
  try {
    return await evaluate(client);
  } catch (err) {
    return result('warn', `cannot read the snapshot objects: ${(err as Error).message.split('\n')[0]}`);
  }
}

async function evaluate(client: KubeClient): Promise<CheckResult> {
  const csi = await client.find<V1Deployment>({ apiVersion: 'apps/v1', kind: 'Deployment', ...refOf() });
  if (!csi) return result('skip', 'the CSI driver is not installed');
  const sidecar = csi.spec?.template?.spec?.containers?.find((c) => c.name === SNAPSHOTTER_SIDECAR);
  if (!sidecar) return result('skip', `the CSI controller runs no ${SNAPSHOTTER_SIDECAR} sidecar`);
  const release = sidecarVersion(sidecar.image) ?? sidecar.image ?? 'unknown';
  const crds = await Promise.all(
    SNAPSHOT_CRDS.map((name) =>
      client.find({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name }),
    ),
  );
  const missing = SNAPSHOT_CRDS.filter((_, i) => !crds[i]);
  if (missing.length === SNAPSHOT_CRDS.length) {
    // Optional: a skip, and the command in the detail (a fix would read as something wrong).
    return result(
      'skip',
      `not installed ('${FIX}' adds them): the CSI controller's ${SNAPSHOTTER_SIDECAR} ${release} runs without the VolumeSnapshot CRDs and logs list errors`,
    );
  }
  if (missing.length > 0) return result('warn', `the CRDs ${missing.join(', ')} are missing`, FIX);

  const deployments = (await client.list<V1Deployment>('apps/v1', 'Deployment')).items;
  const controllers = deployments.flatMap((d) => {
    const c = d.spec?.template?.spec?.containers?.find((x) => ANY_CONTROLLER_IMAGE.test(x.image ?? ''));
    return c ? [{ d, tag: ANY_CONTROLLER_IMAGE.exec(c.image!)?.[1] }] : [];
  });
  if (controllers.length === 0) {
    return result(
      'warn',
      'the CRDs are installed but no snapshot-controller runs: VolumeSnapshots never become ready',
      FIX,
    );
  }
  const problems: string[] = [];
  const named = controllers.map(({ d, tag }) => `${d.metadata!.namespace}/${d.metadata!.name} ${tag ?? '(by digest)'}`);
  if (controllers.length > 1) problems.push(`${controllers.length} snapshot-controllers run (${named.join(', ')})`);
  for (const { d, tag } of controllers) {
    const ready = d.status?.availableReplicas ?? 0;
    if (ready === 0) problems.push(`${d.metadata!.namespace}/${d.metadata!.name} has no available replica`);
    if (tag && /^v\d+\.\d+\.\d+/.test(tag) && tag !== release) {
      problems.push(
        `${d.metadata!.namespace}/${d.metadata!.name} is ${tag}, the driver's ${SNAPSHOTTER_SIDECAR} ${release}`,
      );
    }
  }
  type Cls = KubernetesObject & { driver: string };
  const classes = (await client.list<Cls>(SNAPSHOT_API_VERSION, 'VolumeSnapshotClass')).items.filter(
    (c) => c.driver === CSI_DRIVER_NAME,
  );
  if (classes.length === 0) problems.push(`no VolumeSnapshotClass for ${CSI_DRIVER_NAME}`);
  if (problems.length > 0) return result('warn', problems.join('; '), FIX);
  const shown = classes.map(
    (c) => `${c.metadata!.name}${c.metadata?.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true' ? ' (default)' : ''}`,
  );
  return result(
    'pass',
    `snapshot-controller ${named[0]}, ${SNAPSHOTTER_SIDECAR} ${release}, class ${shown.join(', ')}`,
  );
}

const refOf = () => ({ namespace: CSI_NAMESPACE, name: CSI_CONTROLLER.name });
