// Node objects shaped like kubelet registers them, for tests and the CLI.
import { randomUUID } from 'node:crypto';
import type { KubeObject } from './types.js';

export interface Taint {
  key: string;
  value?: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  timeAdded?: string;
}

export interface AddNodesOptions {
  /** Names are `<namePrefix><NNNN>` counting from `start`: k8s-node-0001, k8s-node-0002, … */
  namePrefix?: string;
  start?: number;
  /** The first `controlPlane` nodes get the control-plane role label and taint. */
  controlPlane?: number;
  taints?: Taint[];
  labels?: Record<string, string>;
  /** VM UUIDs by node name or position: nodeInfo.systemUUID, and what the simulated CCM finds. */
  uuids?: Record<string, string> | string[];
  kubeletVersion?: string;
}

export function nodeObject(
  name: string,
  index: number,
  opts: AddNodesOptions,
  controlPlane: boolean,
  uuid: string,
): KubeObject {
  const labels: Record<string, string> = {
    'beta.kubernetes.io/arch': 'amd64',
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    'kubernetes.io/hostname': name,
    'kubernetes.io/os': 'linux',
    ...(controlPlane
      ? { 'node-role.kubernetes.io/control-plane': '', 'node.kubernetes.io/exclude-from-external-load-balancers': '' }
      : {}),
    ...opts.labels,
  };
  const taints: Taint[] = [
    ...(controlPlane ? [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' as const }] : []),
    ...(opts.taints ?? []),
  ];
  const ip = `10.0.${Math.floor(index / 250)}.${(index % 250) + 2}`;
  const ts = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  return {
    metadata: { name, labels, annotations: { 'node.alpha.kubernetes.io/ttl': '0' } },
    spec: {
      podCIDR: `10.244.${index % 256}.0/24`,
      podCIDRs: [`10.244.${index % 256}.0/24`],
      ...(taints.length ? { taints } : {}),
    },
    status: {
      capacity: { cpu: '4', 'ephemeral-storage': '41186748Ki', memory: '8131808Ki', pods: '110' },
      allocatable: { cpu: '4', 'ephemeral-storage': '37957706894', memory: '8029408Ki', pods: '110' },
      conditions: [
        cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available', ts),
        cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure', ts),
        cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available', ts),
        cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status', ts),
      ],
      addresses: [
        { type: 'InternalIP', address: ip },
        { type: 'Hostname', address: name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: uuid.replace(/-/g, ''),
        systemUUID: uuid,
        bootID: randomUUID(),
        kernelVersion: '6.1.0-28-amd64',
        osImage: 'Debian GNU/Linux 12 (bookworm)',
        containerRuntimeVersion: 'containerd://1.7.24',
        kubeletVersion: opts.kubeletVersion ?? 'v1.31.4',
        kubeProxyVersion: '',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    },
  };
}

const cond = (type: string, status: string, reason: string, message: string, ts: string): object => ({
  type,
  status,
  lastHeartbeatTime: ts,
  lastTransitionTime: ts,
  reason,
  message,
});
