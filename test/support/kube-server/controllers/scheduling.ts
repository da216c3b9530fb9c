// Which nodes a pod template may run on: nodeSelector and taints/tolerations,
// the two rules the DaemonSet controller and scheduler apply that matter here.
import type { KubeObject } from '../types.js';

export interface Toleration {
  key?: string;
  operator?: 'Exists' | 'Equal';
  value?: string;
  effect?: string;
}

interface Taint {
  key: string;
  value?: string;
  effect: string;
}

export interface PodSpecLike {
  nodeSelector?: Record<string, string>;
  tolerations?: Toleration[];
  affinity?: { podAntiAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: unknown[] } };
  containers?: { name: string; image?: string; command?: string[]; args?: string[] }[];
  volumes?: { name: string; persistentVolumeClaim?: { claimName: string } }[];
  restartPolicy?: string;
  nodeName?: string;
}

const tolerates = (tols: Toleration[], t: Taint): boolean =>
  tols.some(
    (tol) =>
      (!tol.effect || tol.effect === t.effect) &&
      ((tol.operator === 'Exists' && (!tol.key || tol.key === t.key)) ||
        ((tol.operator ?? 'Equal') === 'Equal' && tol.key === t.key && (tol.value ?? '') === (t.value ?? ''))),
  );

export function eligibleNodes(nodes: KubeObject[], spec: PodSpecLike): KubeObject[] {
  return nodes.filter((n) => {
    const labels = n.metadata.labels ?? {};
    if (Object.entries(spec.nodeSelector ?? {}).some(([k, v]) => labels[k] !== v)) return false;
    const taints = ((n.spec as { taints?: Taint[] } | undefined)?.taints ?? []).filter(
      (t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute',
    );
    return taints.every((t) => tolerates(spec.tolerations ?? [], t));
  });
}

/** The scheduler's FailedScheduling message: `0/3 nodes are available: 3 node(s) had untolerated taint {k: v}. …` */
export function unschedulableMessage(nodes: KubeObject[], spec: PodSpecLike, occupied = new Set<string>()): string {
  const reasons = new Map<string, number>();
  for (const n of nodes) {
    const labels = n.metadata.labels ?? {};
    let reason: string | undefined;
    if (occupied.has(n.metadata.name)) {
      reason = "didn't match pod anti-affinity rules";
    } else if (Object.entries(spec.nodeSelector ?? {}).some(([k, v]) => labels[k] !== v)) {
      reason = "didn't match Pod's node affinity/selector";
    } else {
      const taint = ((n.spec as { taints?: Taint[] } | undefined)?.taints ?? []).find(
        (t) => (t.effect === 'NoSchedule' || t.effect === 'NoExecute') && !tolerates(spec.tolerations ?? [], t),
      );
      if (taint) reason = `had untolerated taint {${taint.key}: ${taint.value ?? ''}}`;
    }
    if (reason) reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  }
  const parts = [...reasons].map(([r, count]) => `${count} node(s) ${r}`).sort();
  const detail = parts.length ? `${parts.join(', ')}.` : 'no nodes available to schedule pods.';
  return `0/${nodes.length} nodes are available: ${detail} preemption: 0/${nodes.length} nodes are available: ${nodes.length} Preemption is not helpful for scheduling.`;
}
