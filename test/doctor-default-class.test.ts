// vk doctor on a cluster whose default StorageClass carries only the beta
// annotation: the class is the default (smoke-test uses it), so doctor must
// not report "no default StorageClass". Only the kube side matters here;
// vCenter is unreachable on purpose and its checks skip.
import { beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from './box/cluster.js';
import { useBox } from './support/box.js';
import { runVk } from './support/run-vk.js';

interface Check {
  id: string;
  status: 'pass' | 'warn' | 'fail' | 'skip';
  detail: string;
}

const box = useBox({ noVcsim: true });

beforeAll(async () => {
  await box.addNodes([{ name: 'k8s-node-0001', controlPlane: true }]);
  await box.store.put({
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: 'legacy-default', annotations: { 'storageclass.beta.kubernetes.io/is-default-class': 'true' } },
    provisioner: 'csi.vsphere.vmware.com',
  } as KubeObject);
}, 60_000);

describe('vk doctor and the beta default-class annotation', () => {
  it('passes the storageclass check when the default class has only the beta annotation', async () => {
    const r = await runVk(['doctor', '-o', 'json', '--kubeconfig', box.kubeconfig, '--request-timeout', '5'], {
      GOVC_URL: 'http://127.0.0.1:1/sdk',
      GOVC_USERNAME: 'u@vsphere.local',
      GOVC_PASSWORD: 'p',
    });
    const byId = new Map((JSON.parse(r.stdout) as Check[]).map((c) => [c.id, c]));
    const check = byId.get('storageclass')!;
    expect(check.detail).not.toBe('no default StorageClass');
    expect(check.status).toBe('pass');
    expect(check.detail).toBe('legacy-default (csi.vsphere.vmware.com)');
  });
});
