// vk doctor's tls-trust compares the CA bundle the CSI driver will read (the
// key of its own Secret named like its ca-file) with the certificate vCenter
// presents: the built CLI against vcsim and the box's real kube-apiserver.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from './box/cluster.js';
import { useBox } from './support/box.js';
import { runVk } from './support/run-vk.js';

interface Check {
  id: string;
  status: 'pass' | 'warn' | 'fail' | 'skip';
  detail: string;
  fix?: string;
}

// vcsim's stock inventory, no node folder: the one node is registered below.
const box = useBox({ vcsim: {} });
const sim = () => box.vcsim!;
let otherCa: string;

async function putCsiSecret(caFile: string, bundle?: string): Promise<void> {
  const port = sim().host.split(':')[1];
  const conf = [
    '[Global]',
    'cluster-id = "ca-e2e"',
    `ca-file = "${caFile}"`,
    '',
    '[VirtualCenter "127.0.0.1"]',
    'insecure-flag = "false"',
    'user = "k8s-csi@vsphere.local"',
    'password = "pw"',
    `port = "${port}"`,
    'datacenters = "DC0"',
    '',
  ].join('\n');
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  await box.store.put({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'vsphere-config-secret', namespace: 'vmware-system-csi' },
    type: 'Opaque',
    data: { 'csi-vsphere.conf': b64(conf), ...(bundle ? { 'vcenter-ca.pem': b64(bundle) } : {}) },
  } as KubeObject);
}

async function tlsTrust(): Promise<Check> {
  const r = await runVk(['doctor', '-o', 'json', '--kubeconfig', box.kubeconfig, '--ca-file', sim().caFile!], {
    ...sim().env,
    NO_COLOR: '1',
  });
  return (JSON.parse(r.stdout) as Check[]).find((c) => c.id === 'tls-trust')!;
}

beforeAll(async () => {
  await box.addNodes([{ name: 'k8s-node-0001', controlPlane: true }]);
  await box.store.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'vmware-system-csi' } });
  const dir = mkdtempSync(join(tmpdir(), 'vk-other-ca-'));
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=other', '-keyout', 'k', '-out', 'c'],
    { cwd: dir, stdio: 'ignore' },
  );
  otherCa = readFileSync(join(dir, 'c'), 'utf8');
}, 60_000);

describe('vk doctor tls-trust and the CSI CA bundle', () => {
  it("passes when the bundle in the driver's Secret verifies vCenter's certificate", async () => {
    await putCsiSecret('/etc/cloud/vcenter-ca.pem', readFileSync(sim().caFile!, 'utf8'));
    const check = await tlsTrust();
    expect(check.status, check.detail).toBe('pass');
    expect(check.detail).toContain(
      "CSI CA bundle (vcenter-ca.pem of Secret vmware-system-csi/vsphere-config-secret) verifies the server's certificate",
    );
  });

  it('fails when ca-file names a file the Secret does not hold (a path on the admin machine)', async () => {
    await putCsiSecret('/home/me/ca.pem');
    const check = await tlsTrust();
    expect(check.status).toBe('fail');
    expect(check.detail).toBe(
      'CSI ca-file /home/me/ca.pem is not a key of Secret vmware-system-csi/vsphere-config-secret, so no driver pod has that file',
    );
    expect(check.fix).toContain('vk generate csi --ca-file FILE --apply');
  });

  it('fails when the bundle holds another CA than the one that issued the certificate', async () => {
    await putCsiSecret('/etc/cloud/vcenter-ca.pem', otherCa);
    const check = await tlsTrust();
    expect(check.status).toBe('fail');
    expect(check.detail).toMatch(
      /CSI CA bundle \(vcenter-ca.pem of .*\) does not verify 127.0.0.1: no certificate in it signed/,
    );
  });
});
