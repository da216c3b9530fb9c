// vk doctor on a cluster whose default StorageClass carries only the beta
// annotation: the class is the default (smoke-test uses it), so doctor must
// not report "no default StorageClass". Only the kube side matters here;
// vCenter is unreachable on purpose and its checks skip.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runVk } from './support/run-vk.js';
import { startKubeServer, type KubeObject, type KubeServer } from './support/kube-server/index.js';

interface Check {
  id: string;
  status: 'pass' | 'warn' | 'fail' | 'skip';
  detail: string;
}

let kube: KubeServer;

beforeAll(async () => {
  kube = await startKubeServer({ nodes: 1, controllers: { ccm: { enabled: false } } });
  kube.controllers.setAll(false);
  kube.store.put({
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: 'legacy-default', annotations: { 'storageclass.beta.kubernetes.io/is-default-class': 'true' } },
    provisioner: 'csi.vsphere.vmware.com',
  } as KubeObject);
}, 60_000);

afterAll(async () => {
  await kube?.stop();
});

describe('vk doctor and the beta default-class annotation', () => {
  it('passes the storageclass check when the default class has only the beta annotation', async () => {
    const r = await runVk(['doctor', '-o', 'json', '--kubeconfig', kube.kubeconfigPath, '--request-timeout', '5'], {
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
