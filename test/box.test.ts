// The box itself: a real control plane at the pinned release, with kwok nodes
// registered as kubelet does with --cloud-provider=external, and the
// controllers doing their real jobs. Read back with the box's own kubectl and
// the API, never through vk.
import { describe, expect, it } from 'vitest';
import { UNINITIALIZED_TAINT } from './box/cluster.js';
import { useBox } from './support/box.js';
import { KUBERNETES_VERSION } from './box/versions.js';
import { waitFor } from './box/process.js';

const box = useBox({ vcsim: { cluster: 1, host: 3, ds: 1, folder: '/DC0/vm/k8s', folderVms: 3 } });

interface Node {
  metadata: { name: string; labels: Record<string, string> };
  spec: { taints?: { key: string; effect: string }[] };
  status: { nodeInfo: { systemUUID: string }; conditions: { type: string; status: string }[] };
}

describe('the box', () => {
  it('kubectl version reports the pinned release on both sides', async () => {
    const v = JSON.parse(await box.kubectl(['version', '-o', 'json']));
    expect(v.clientVersion.gitVersion).toBe(KUBERNETES_VERSION);
    expect(v.serverVersion.gitVersion).toBe(KUBERNETES_VERSION);
  });

  it('/readyz?verbose lists the real etcd checks', async () => {
    const text = await box.kubectl(['get', '--raw', '/readyz?verbose']);
    expect(text).toMatch(/^\[\+\]etcd ok$/m);
    expect(text).toMatch(/^\[\+\]etcd-readiness ok$/m);
    expect(text).toContain('readyz check passed');
  });

  it('RBAC is on: a user without bindings is forbidden', async () => {
    const kc = await box.kubeconfigFor('nobody');
    await expect(box.kubectl(['get', 'nodes'], { kubeconfig: kc })).rejects.toThrow(
      /User "nobody" cannot list resource "nodes"/,
    );
  });

  it('each node VM is a Ready node with its BIOS UUID and the uninitialized taint; the first is control-plane', async () => {
    const nodes = (await box.getJson<{ items: Node[] }>('/api/v1/nodes')).items;
    const vms = (await box.vcsim!.inspect('vms')).filter((v) => v.path.startsWith('/DC0/vm/k8s/'));
    expect(nodes).toHaveLength(3);
    for (const n of nodes) {
      const vm = vms.find((v) => v.name.toLowerCase() === n.metadata.name)!;
      expect(n.status.nodeInfo.systemUUID).toBe(vm.uuid);
      expect(n.spec.taints?.map((t) => t.key)).toContain(UNINITIALIZED_TAINT);
      expect(n.status.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
    }
    const cp = nodes.filter((n) => 'node-role.kubernetes.io/control-plane' in n.metadata.labels);
    expect(cp.map((n) => n.metadata.name)).toEqual([box.nodes[0]!.name]);
  });

  it('a Deployment rolls out: deployment, replicaset, scheduler and kwok do their jobs; GC removes what it owned', async () => {
    await box.kubectl(['create', 'namespace', 'box-deploy']);
    await box.kubectl([
      '-n',
      'box-deploy',
      'create',
      'deployment',
      'web',
      '--image=registry.example/web:1',
      '--replicas=2',
    ]);
    // Every node still carries the uninitialized taint: tolerate it, as the CPI does.
    await box.kubectl([
      '-n',
      'box-deploy',
      'patch',
      'deployment',
      'web',
      '--type=json',
      '-p',
      JSON.stringify([{ op: 'add', path: '/spec/template/spec/tolerations', value: [{ operator: 'Exists' }] }]),
    ]);
    await box.kubectl(['-n', 'box-deploy', 'rollout', 'status', 'deployment/web', '--timeout=60s']);
    const pods = JSON.parse(await box.kubectl(['-n', 'box-deploy', 'get', 'pods', '-o', 'json'])).items;
    expect(pods).toHaveLength(2);
    for (const p of pods) {
      expect(p.status.phase).toBe('Running');
      expect(p.spec.nodeName).toBeTruthy();
    }
    await box.kubectl(['-n', 'box-deploy', 'delete', 'deployment', 'web', '--wait=true']);
    await waitFor(
      'the garbage collector to remove the ReplicaSet and pods',
      async () => {
        const left = JSON.parse(await box.kubectl(['-n', 'box-deploy', 'get', 'rs,pods', '-o', 'json'])).items;
        return left.length === 0;
      },
      { timeoutMs: 60_000 },
    );
    // The namespace controller empties and removes a namespace.
    await box.kubectl(['delete', 'namespace', 'box-deploy', '--wait=true', '--timeout=60s']);
  });

  it('a workload can be made to fail with an image pull error through a kwok stage', async () => {
    await box.kubectl([
      'run',
      'broken',
      '--image=registry.example/missing:0',
      '--labels=box.vk.test/fail=image-pull',
      '--overrides',
      JSON.stringify({ spec: { tolerations: [{ operator: 'Exists' }] } }),
    ]);
    await waitFor(
      'ErrImagePull',
      async () => {
        const p = JSON.parse(await box.kubectl(['get', 'pod', 'broken', '-o', 'json']));
        return p.status.containerStatuses?.[0]?.state?.waiting?.reason === 'ErrImagePull';
      },
      { timeoutMs: 30_000 },
    );
    await box.kubectl(['delete', 'pod', 'broken', '--wait=true']);
  });

  it('the PV controller binds a claim to a matching volume', async () => {
    await box.kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [
          {
            apiVersion: 'v1',
            kind: 'PersistentVolume',
            metadata: { name: 'box-pv' },
            spec: {
              capacity: { storage: '1Gi' },
              accessModes: ['ReadWriteOnce'],
              storageClassName: 'manual',
              csi: { driver: 'example.csi', volumeHandle: 'h-1' },
            },
          },
          {
            apiVersion: 'v1',
            kind: 'PersistentVolumeClaim',
            metadata: { name: 'box-pvc', namespace: 'default' },
            spec: {
              accessModes: ['ReadWriteOnce'],
              storageClassName: 'manual',
              resources: { requests: { storage: '1Gi' } },
            },
          },
        ],
      }),
    });
    await waitFor(
      'the claim to bind',
      async () => {
        const c = JSON.parse(await box.kubectl(['get', 'pvc', 'box-pvc', '-o', 'json']));
        return c.status.phase === 'Bound' && c.spec.volumeName === 'box-pv';
      },
      { timeoutMs: 60_000 },
    );
    await box.kubectl(['delete', 'pvc', 'box-pvc']);
    await box.kubectl(['delete', 'pv', 'box-pv']);
  });

  it('a stopped component is really gone, and comes back', async () => {
    await box.stopComponent('kube-scheduler');
    await box.kubectl([
      'run',
      'unscheduled',
      '--image=registry.example/x:1',
      '--overrides',
      JSON.stringify({ spec: { tolerations: [{ operator: 'Exists' }] } }),
    ]);
    await new Promise((r) => setTimeout(r, 2_000));
    const p = JSON.parse(await box.kubectl(['get', 'pod', 'unscheduled', '-o', 'json']));
    expect(p.spec.nodeName).toBeUndefined();
    await box.startComponent('kube-scheduler');
    await waitFor(
      'the pod to be scheduled',
      async () => {
        const q = JSON.parse(await box.kubectl(['get', 'pod', 'unscheduled', '-o', 'json']));
        return q.status.phase === 'Running';
      },
      { timeoutMs: 60_000 },
    );
    await box.kubectl(['delete', 'pod', 'unscheduled', '--wait=true']);
  });
});
