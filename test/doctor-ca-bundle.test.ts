// vk doctor's tls-trust compares the CA bundle the CSI driver will read (the
// key of its own Secret named like its ca-file) with the certificate vCenter
// presents: the built CLI against vcsim and the in-memory kube API server.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runVk } from './support/run-vk.js';
import { startVcsim, type Vcsim } from './support/vcsim.js';
import { startKubeServer, type KubeObject, type KubeServer } from './support/kube-server/index.js';

interface Check {
  id: string;
  status: 'pass' | 'warn' | 'fail' | 'skip';
  detail: string;
  fix?: string;
}

let sim: Vcsim;
let kube: KubeServer;
let otherCa: string;

function putCsiSecret(caFile: string, bundle?: string): void {
  const port = sim.host.split(':')[1];
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
  kube.store.put({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'vsphere-config-secret', namespace: 'vmware-system-csi' },
    type: 'Opaque',
    data: { 'csi-vsphere.conf': b64(conf), ...(bundle ? { 'vcenter-ca.pem': b64(bundle) } : {}) },
  } as KubeObject);
}

async function tlsTrust(): Promise<Check> {
  const r = await runVk(['doctor', '-o', 'json', '--kubeconfig', kube.kubeconfigPath, '--ca-file', sim.caFile!], {
    ...sim.env,
    NO_COLOR: '1',
  });
  return (JSON.parse(r.stdout) as Check[]).find((c) => c.id === 'tls-trust')!;
}

beforeAll(async () => {
  sim = await startVcsim({});
  kube = await startKubeServer({ nodes: 1, controllers: { ccm: { enabled: false } } });
  kube.controllers.setAll(false);
  kube.store.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'vmware-system-csi' } });
  const dir = mkdtempSync(join(tmpdir(), 'vk-other-ca-'));
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=other', '-keyout', 'k', '-out', 'c'],
    { cwd: dir, stdio: 'ignore' },
  );
  otherCa = readFileSync(join(dir, 'c'), 'utf8');
}, 60_000);

afterAll(async () => {
  await kube?.stop();
  await sim?.stop();
});

describe('vk doctor tls-trust and the CSI CA bundle', () => {
  it("passes when the bundle in the driver's Secret verifies vCenter's certificate", async () => {
    putCsiSecret('/etc/cloud/vcenter-ca.pem', readFileSync(sim.caFile!, 'utf8'));
    const check = await tlsTrust();
    expect(check.status, check.detail).toBe('pass');
    expect(check.detail).toContain(
      "CSI CA bundle (vcenter-ca.pem of Secret vmware-system-csi/vsphere-config-secret) verifies the server's certificate",
    );
  });

  it('fails when ca-file names a file the Secret does not hold (a path on the admin machine)', async () => {
    putCsiSecret('/home/me/ca.pem');
    const check = await tlsTrust();
    expect(check.status).toBe('fail');
    expect(check.detail).toBe(
      'CSI ca-file /home/me/ca.pem is not a key of Secret vmware-system-csi/vsphere-config-secret, so no driver pod has that file',
    );
    expect(check.fix).toContain('vk generate csi --ca-file FILE --apply');
  });

  it('fails when the bundle holds another CA than the one that issued the certificate', async () => {
    putCsiSecret('/etc/cloud/vcenter-ca.pem', otherCa);
    const check = await tlsTrust();
    expect(check.status).toBe('fail');
    expect(check.detail).toMatch(
      /CSI CA bundle \(vcenter-ca.pem of .*\) does not verify 127.0.0.1: no certificate in it signed/,
    );
  });
});
