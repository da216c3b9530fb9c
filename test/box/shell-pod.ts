// The box's stand-in for a kubelet running a run-to-completion shell pod
// (such as vk smoke-test's writer and reader): a restartPolicy Never pod
// whose containers are all `sh -c SCRIPT`. kwok marks it Running (its
// pod-succeeded stage leaves such pods alone); this then does what kubelet
// would: waits until each PVC the pod mounts is Bound and, for a driver that
// needs attaching, until the VolumeAttachment to the pod's node is attached
// (the real csi-attacher's work); "mounts" the volume as a directory that
// stands in for the disk, keyed by the PV's CSI volumeHandle
// (<box dir>/volumes/<handle>/), so two pods see the same data only if they
// got the same volume; runs the script with the local `sh` and the
// container's env, mount paths in the script rewritten to those directories;
// and ends the pod as the processes end: Succeeded when every container
// exits 0, Failed otherwise, each container terminated with its real exit
// code, its output the pod log. A Normal event `BoxStandInDisk` on the pod
// names the directory of each volume.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { containerEnv, expand, type Container, type EnvSources, type Pod } from './pod-spec.js';
import type { RuntimeHost } from './runtime-host.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- API objects are read as served */

/** Whether the runtime runs this pod's shell (kwok-stages.yaml's pod-succeeded selector says the same). */
export function isShellPod(pod: Pod): boolean {
  const containers = (pod.spec?.containers ?? []) as Container[];
  return (
    pod.spec?.restartPolicy === 'Never' &&
    containers.length > 0 &&
    containers.every((c) => (c.command?.[0] === 'sh' || c.command?.[0] === '/bin/sh') && c.command?.[1] === '-c')
  );
}

export const STANDIN_DISK_EVENT = 'BoxStandInDisk';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Rewrites the mount paths in a shell script to the directories standing in
 * for them, where a path starts a word (after whitespace, a quote, `=`, `:`,
 * a redirection or a command separator). Longest mount path first.
 */
export function scriptRewriter(mounts: { mountPath: string; dir: string }[]): (s: string) => string {
  const sorted = [...mounts].sort((a, b) => b.mountPath.length - a.mountPath.length);
  return (s) => {
    for (const m of sorted) {
      const p = m.mountPath.replace(/\/+$/, '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      s = s.replace(
        new RegExp(`(^|[\\s'"=:<>;&|(])${p}(?=/|$|[\\s'";&|)])`, 'g'),
        (_all, lead: string) => lead + m.dir,
      );
    }
    return s;
  };
}

export interface ShellContainer {
  name: string;
  /** For `sh`: `-c`, the script (mount paths rewritten), then the positional args. */
  args: string[];
  env: Record<string, string>;
}

/** Where a pod volume lives in the box: a PVC's stand-in disk, or a private directory. */
export interface ShellVolume {
  name: string;
  dir: string;
  /** The PV's CSI volume handle, for a PVC. */
  volumeHandle?: string;
}

/**
 * Resolves the pod's volumes (waiting, as kubelet does, for each claim to be
 * Bound and its volume attached to the node) and the containers' scripts and
 * env. Returns undefined when the pod went away while waiting.
 */
export async function prepareShellPod(
  host: RuntimeHost,
  pod: Pod,
  podDir: string,
  sources: EnvSources,
  alive: () => boolean,
): Promise<{ volumes: ShellVolume[]; containers: ShellContainer[] } | undefined> {
  const ns = pod.metadata.namespace as string;
  const volumes: ShellVolume[] = [];
  for (const v of pod.spec.volumes ?? []) {
    if (!v.persistentVolumeClaim) {
      const dir = join(podDir, 'v', v.name);
      mkdirSync(dir, { recursive: true });
      volumes.push({ name: v.name, dir });
      continue;
    }
    const claim = v.persistentVolumeClaim.claimName as string;
    let pv: any;
    for (;;) {
      if (!alive()) return undefined;
      const pvc = await host.api('GET', `/api/v1/namespaces/${ns}/persistentvolumeclaims/${claim}`);
      const name = pvc.status === 200 && pvc.body.status?.phase === 'Bound' ? pvc.body.spec.volumeName : undefined;
      const got = name ? await host.api('GET', `/api/v1/persistentvolumes/${name}`) : undefined;
      if (got?.status === 200) {
        pv = got.body;
        break;
      }
      await sleep(500);
    }
    const handle = pv.spec.csi?.volumeHandle as string | undefined;
    if (pv.spec.csi && (await attachRequired(host, pv.spec.csi.driver))) {
      for (;;) {
        if (!alive()) return undefined;
        const list = await host.api('GET', '/apis/storage.k8s.io/v1/volumeattachments');
        const attached = (list.body?.items ?? []).some(
          (a: any) =>
            a.spec.source?.persistentVolumeName === pv.metadata.name &&
            a.spec.nodeName === pod.spec.nodeName &&
            a.status?.attached === true,
        );
        if (attached) break;
        await sleep(500);
      }
    }
    // The disk: one directory per volume handle (per PV name for a non-CSI volume).
    const dir = join(host.volumesDir, handle ?? `pv-${pv.metadata.name}`);
    mkdirSync(dir, { recursive: true });
    volumes.push({ name: v.name, dir, ...(handle ? { volumeHandle: handle } : {}) });
  }
  const containers: ShellContainer[] = [];
  for (const c of pod.spec.containers as Container[]) {
    const rewrite = scriptRewriter(
      (c.volumeMounts ?? []).map((m: any) => {
        const vol = volumes.find((v) => v.name === m.name);
        if (!vol) throw new Error(`container ${c.name} mounts unknown volume ${m.name}`);
        return { mountPath: m.mountPath, dir: m.subPath ? join(vol.dir, m.subPath) : vol.dir };
      }),
    );
    const env = await containerEnv(pod, c, sources);
    const [script = '', ...rest] = [...c.command.slice(2), ...(c.args ?? [])].map((a: string) => expand(a, env));
    containers.push({ name: c.name, args: ['-c', rewrite(script), ...rest], env });
  }
  return { volumes, containers };
}

async function attachRequired(host: RuntimeHost, driver: string): Promise<boolean> {
  const r = await host.api('GET', `/apis/storage.k8s.io/v1/csidrivers/${driver}`);
  // No CSIDriver object: Kubernetes assumes the driver needs attaching.
  return r.status !== 200 || r.body.spec?.attachRequired !== false;
}

/** A Normal event on the pod naming the directory that stands in for each PVC's disk. */
export async function reportStandInDisks(host: RuntimeHost, pod: Pod, volumes: ShellVolume[]): Promise<void> {
  const ns = pod.metadata.namespace as string;
  const now = new Date().toISOString();
  for (const v of volumes.filter((x) => x.volumeHandle)) {
    await host.api('POST', `/api/v1/namespaces/${ns}/events`, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { generateName: `${pod.metadata.name}.`, namespace: ns },
      involvedObject: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, namespace: ns, uid: pod.metadata.uid },
      reason: STANDIN_DISK_EVENT,
      message: `volume "${v.name}" (CSI volume ${v.volumeHandle}) is the box's stand-in disk ${v.dir}`,
      type: 'Normal',
      source: { component: 'box-runtime', host: pod.spec.nodeName },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    });
  }
}

/** The pod's status once its containers have ended (exit code per container). */
export function finishedStatus(pod: Pod, ended: { name: string; exitCode: number; startedAt: string }[]): any {
  const now = new Date().toISOString();
  const ok = ended.every((e) => e.exitCode === 0);
  const image = (name: string) => (pod.spec.containers as Container[]).find((c) => c.name === name)?.image;
  const cond = (type: string) => ({ type, status: 'False', reason: 'PodCompleted', lastTransitionTime: now });
  return {
    phase: ok ? 'Succeeded' : 'Failed',
    conditions: [
      ...(pod.status?.conditions ?? []).filter((c: any) => c.type !== 'Ready' && c.type !== 'ContainersReady'),
      cond('Ready'),
      cond('ContainersReady'),
    ],
    containerStatuses: ended.map((e) => ({
      name: e.name,
      image: image(e.name),
      imageID: `box://${image(e.name)}`,
      ready: false,
      started: false,
      restartCount: 0,
      state: {
        terminated: {
          exitCode: e.exitCode,
          reason: e.exitCode === 0 ? 'Completed' : 'Error',
          startedAt: e.startedAt,
          finishedAt: now,
        },
      },
    })),
  };
}
