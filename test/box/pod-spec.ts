// What the box's pod runtime reads from a pod: which of its containers it
// runs (by image repository), each container's env with valueFrom resolved
// and $(VAR) expanded, and the mount paths it must stand in for.

export type Runnable =
  'cpi' | 'csi-provisioner' | 'csi-attacher' | 'csi-snapshotter' | 'snapshot-controller' | 'csi-standin' | 'csinode';

/* eslint-disable @typescript-eslint/no-explicit-any -- pod specs are read as the API serves them */
export type Pod = any;
export type Container = any;

/** The image without registry tag or digest: `registry.k8s.io/sig-storage/csi-attacher:v4.9.0` → `…/csi-attacher`. */
export function imageRepository(image: string): string {
  return image.replace(/@.*$/, '').replace(/:[^/:]+$/, '');
}

function envValue(c: Container, name: string): string | undefined {
  return (c.env ?? []).find((e: any) => e.name === name)?.value;
}

/**
 * The image repositories of the binaries the box builds at one release
 * (regular expressions, also read by kwok's jq: keep them plain).
 */
export const RELEASE_REPOSITORIES = {
  cpi: '/(cloud-provider-vsphere|cpi/release/manager)$',
  'csi-provisioner': '/csi-provisioner$',
  'csi-attacher': '/csi-attacher$',
  'csi-snapshotter': '/csi-snapshotter$',
  'snapshot-controller': '/snapshot-controller$',
} as const satisfies Partial<Record<Runnable, string>>;

/**
 * A jq condition on a pod, for kwok's stages: true when a container names
 * the repository of a binary the box builds with another tag than the one
 * built. kubelet could not pull such an image here, so the pod must fail to
 * start as kubelet reports it, never run as if it were the built release.
 */
export function unbuiltImageJq(built: Record<keyof typeof RELEASE_REPOSITORIES, string>): string {
  const tests = Object.entries(RELEASE_REPOSITORIES).map(([r, pattern]) => {
    const tag = built[r as keyof typeof RELEASE_REPOSITORIES];
    const repo = pattern.replace(/\$$/, ':');
    return `(test("${repo}") and (endswith(":${tag}") | not))`;
  });
  return `([.spec.containers[].image | ${tests.join(' or ')}] | any)`;
}

/** The vSphere CSI driver's image repository (its mode is in X_CSI_MODE). */
export const CSI_DRIVER_REPOSITORY = '/(csi-vsphere/driver|csi/release/driver)$';

/**
 * A jq condition on a pod, for kwok's stages: true when the runtime runs one
 * of its containers (runnableOf in jq). kwok then starts such a pod not
 * Ready, and the runtime makes it Ready once its processes run, as kubelet
 * would after a readiness probe; kwok never reports a driver Ready that is
 * not running.
 */
export function runtimePodJq(): string {
  const release = Object.values(RELEASE_REPOSITORIES).join('|').replaceAll('$', '');
  return (
    '([.spec.containers[] | (.image // "" | sub("@.*$"; "") | sub(":[^/:]+$"; "")) as $repo' +
    ` | ($repo | test("(${release})$")) or (($repo | test("${CSI_DRIVER_REPOSITORY}"))` +
    ' and ([.env[]? | select(.name == "X_CSI_MODE") | .value] | any(. == "controller" or . == "node")))] | any)'
  );
}

/**
 * What the runtime does with a container: run a real binary, run the CSI
 * stand-in (driver in controller mode), write CSINode (driver in node
 * mode), or nothing (undefined: kwok alone plays it).
 */
export function runnableOf(c: Container): Runnable | undefined {
  const repo = imageRepository(c.image ?? '');
  for (const [r, pattern] of Object.entries(RELEASE_REPOSITORIES))
    if (new RegExp(pattern).test(repo)) return r as Runnable;
  if (new RegExp(CSI_DRIVER_REPOSITORY).test(repo)) {
    const mode = envValue(c, 'X_CSI_MODE');
    if (mode === 'controller') return 'csi-standin';
    if (mode === 'node') return 'csinode';
  }
  return undefined;
}

/** Kubernetes' $(VAR) expansion: defined names are replaced, $$ escapes, unknown ones stay. */
export function expand(value: string, env: Record<string, string>): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name?: string) =>
    m === '$$' ? '$' : name !== undefined && name in env ? env[name]! : m,
  );
}

function fieldOf(pod: Pod, path: string): string {
  const direct: Record<string, unknown> = {
    'metadata.name': pod.metadata.name,
    'metadata.namespace': pod.metadata.namespace,
    'metadata.uid': pod.metadata.uid,
    'spec.nodeName': pod.spec.nodeName,
    'spec.serviceAccountName': pod.spec.serviceAccountName,
    'status.podIP': pod.status?.podIP,
    'status.hostIP': pod.status?.hostIP,
  };
  if (path in direct) return String(direct[path] ?? '');
  const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (m) return String(pod.metadata[m[1]!]?.[m[2]!] ?? '');
  throw new Error(`fieldRef ${path} is not supported by the box runtime`);
}

export interface EnvSources {
  secret(namespace: string, name: string): Promise<Record<string, string> | undefined>;
  configMap(namespace: string, name: string): Promise<Record<string, string> | undefined>;
}

/** The container's environment as kubelet builds it (envFrom, then env in order). */
export async function containerEnv(pod: Pod, c: Container, src: EnvSources): Promise<Record<string, string>> {
  const ns = pod.metadata.namespace;
  const env: Record<string, string> = {};
  for (const from of c.envFrom ?? []) {
    const data = from.secretRef
      ? await src.secret(ns, from.secretRef.name)
      : from.configMapRef
        ? await src.configMap(ns, from.configMapRef.name)
        : undefined;
    for (const [k, v] of Object.entries(data ?? {})) env[(from.prefix ?? '') + k] = v;
  }
  for (const e of c.env ?? []) {
    if (e.value !== undefined) env[e.name] = expand(e.value, env);
    else if (e.valueFrom?.fieldRef) env[e.name] = fieldOf(pod, e.valueFrom.fieldRef.fieldPath);
    else if (e.valueFrom?.secretKeyRef || e.valueFrom?.configMapKeyRef) {
      const ref = e.valueFrom.secretKeyRef ?? e.valueFrom.configMapKeyRef;
      const data = e.valueFrom.secretKeyRef ? await src.secret(ns, ref.name) : await src.configMap(ns, ref.name);
      const v = data?.[ref.key];
      if (v === undefined && !ref.optional) throw new Error(`${e.name}: ${ref.name}/${ref.key} not found`);
      if (v !== undefined) env[e.name] = v;
    } else env[e.name] = '';
  }
  return env;
}

/**
 * Rewrites container paths under a mount path to the directory standing in
 * for it, wherever the path starts a value, follows `=` (flags) or `://`
 * (unix://…). Longest mount path first.
 */
export function pathRewriter(mounts: { mountPath: string; dir: string }[]): (s: string) => string {
  const sorted = [...mounts].sort((a, b) => b.mountPath.length - a.mountPath.length);
  return (s) => {
    for (const m of sorted) {
      const p = m.mountPath.replace(/\/+$/, '');
      const re = new RegExp(`(^|=|://)${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?=/|$|,)`, 'g');
      if (re.test(s)) return s.replace(re, (_all, lead: string) => lead + m.dir);
    }
    return s;
  };
}
