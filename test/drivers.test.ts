// The real vSphere CPI and the real kubernetes-csi sidecars (behind the CSI
// stand-in, see test/README.md) read what vk wrote, in the box: state is
// read back from the API server and from vcsim's CNS endpoint, never
// through vk.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBox, UNINITIALIZED_TAINT, type Box } from './box/cluster.js';
import { waitFor } from './box/process.js';
import { startManifestServer, type ManifestServer } from './fixtures/manifests/server.js';
import { runVk } from './support/run-vk.js';
import { cnsVolumes } from './support/cns-query.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- API objects are read as served */

let box: Box;
let manifests: ManifestServer;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  box = await startBox({ drivers: true, vcsim: { cluster: 1, host: 3, ds: 1, folder: '/DC0/vm/k8s', folderVms: 3 } });
  // The fixtures for Kubernetes 1.36 (CPI v1.36.0, CSI v3.8.0) name the
  // sidecar releases the box builds; the runtime runs no other tag.
  manifests = await startManifestServer({ aliases: {} });
  env = { ...box.env, VK_MANIFEST_BASE_URL: manifests.baseUrl, NO_COLOR: '1' };
}, 600_000);
afterAll(async () => {
  await manifests?.close();
  await box?.stop();
});

const vk = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
  runVk([...args, '--insecure', '--datacenter', 'DC0'], { ...env, ...extra }, { timeoutMs: 300_000 });

const podsOf = async (ns: string, selector: string) =>
  (await box.getJson(`/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent(selector)}`)).items as any[];

describe('the real drivers in the box', () => {
  it(
    'vk install cpi: the real CPI sets providerID and addresses and removes the uninitialized taint',
    { timeout: 300_000 },
    async () => {
      const r = await vk(['install', 'cpi', '--timeout', '240s']);
      expect(r.code, r.stderr).toBe(0);
      const vms = await box.vcsim!.inspect('vms');
      for (const n of (await box.getJson('/api/v1/nodes')).items as any[]) {
        const vm = vms.find((v) => v.name.toLowerCase() === n.metadata.name)!;
        expect(n.spec.providerID).toBe(`vsphere://${vm.uuid}`);
        expect((n.spec.taints ?? []).map((t: any) => t.key)).not.toContain(UNINITIALIZED_TAINT);
        expect(n.status.addresses.map((a: any) => a.type)).toContain('Hostname');
      }
      const [pod] = await podsOf('kube-system', 'name=vsphere-cloud-controller-manager');
      expect(box.runtime!.running()).toContain(`kube-system/${pod.metadata.name}`);
    },
  );

  it(
    "the real CPI reads vk's nodes options: an excluded external subnet takes the nodes' ExternalIP away",
    { timeout: 480_000 },
    async () => {
      const vms = await box.vcsim!.inspect('vms');
      const addresses = async () =>
        new Map<string, string[]>(
          ((await box.getJson('/api/v1/nodes')).items as any[]).map((n) => [
            n.metadata.name,
            n.status.addresses.map((a: any) => `${a.type}=${a.address}`).sort(),
          ]),
        );
      // Without options the CPI takes the VM's first IP as both addresses.
      for (const [name, addrs] of await addresses()) {
        const ip = vms.find((v) => v.name === name)!.ipAddress;
        expect(addrs).toEqual(expect.arrayContaining([`InternalIP=${ip}`, `ExternalIP=${ip}`]));
      }
      const network = vms.find((v) => v.name === 'k8s-node-0001')!.networks[0]!;
      const r = await vk([
        'install',
        'cpi',
        '--timeout',
        '240s',
        '--internal-network-subnet-cidr',
        '10.0.0.0/16',
        '--internal-vm-network-name',
        network,
        '--exclude-external-network-subnet-cidr',
        '10.0.0.0/16',
      ]);
      expect(r.code, r.stderr).toBe(0);
      const conf = await box.kubectl([
        '-n',
        'kube-system',
        'get',
        'configmap',
        'vsphere-cloud-config',
        '-o',
        'jsonpath={.data.vsphere\\.conf}',
      ]);
      expect(conf).toContain('excludeExternalNetworkSubnetCidr: 10.0.0.0/16');
      expect(r.stderr).toContain(
        'the CPI applies the new nodes options to the addresses of the 3 nodes it had initialized at its next node status sync (every 5 minutes by default)',
      );
      // vk rolled the CPI out with the new config. The CPI finds the new
      // addresses at once, but writes them at a node status sync: at its
      // start (when the nodes are found by then) or 5 min later (seen under load).
      await waitFor(
        'no ExternalIP on any node',
        async () => [...(await addresses()).values()].every((a) => !a.some((x) => x.startsWith('ExternalIP='))),
        { timeoutMs: 340_000, intervalMs: 2_000 },
      ).catch(async (err: Error) => {
        const log = await box
          .kubectl(['-n', 'kube-system', 'logs', 'ds/vsphere-cloud-controller-manager', '--tail', '60'])
          .catch((e: Error) => e.message);
        throw new Error(
          `${err.message}\nnode addresses: ${JSON.stringify([...(await addresses())])}\nCPI log:\n${log}`,
        );
      });
      for (const [name, addrs] of await addresses()) {
        expect(addrs).toContain(`InternalIP=${vms.find((v) => v.name === name)!.ipAddress}`);
      }
    },
  );

  it(
    'vk install csi + storageclass create: a PVC is Bound by the real csi-provisioner to a CNS volume; a pod gets it attached by the real csi-attacher',
    { timeout: 400_000 },
    async () => {
      const csi = await vk(['install', 'csi', '--cluster-id', 'box', '--timeout', '240s']);
      expect(csi.code, csi.stderr).toBe(0);
      const sc = await vk(['storageclass', 'create', 'box-sc', '--datastore', 'LocalDS_0']);
      expect(sc.code, sc.stderr).toBe(0);
      await box.kubectl(['apply', '-f', '-'], {
        input: JSON.stringify({
          apiVersion: 'v1',
          kind: 'List',
          items: [
            {
              apiVersion: 'v1',
              kind: 'PersistentVolumeClaim',
              metadata: { name: 'data', namespace: 'default' },
              spec: {
                accessModes: ['ReadWriteOnce'],
                storageClassName: 'box-sc',
                resources: { requests: { storage: '1Gi' } },
              },
            },
            {
              apiVersion: 'v1',
              kind: 'Pod',
              metadata: { name: 'uses-data', namespace: 'default' },
              spec: {
                nodeName: box.nodes[1]!.name,
                containers: [{ name: 'c', image: 'busybox', volumeMounts: [{ name: 'd', mountPath: '/d' }] }],
                volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'data' } }],
              },
            },
          ],
        }),
      });
      let pvc: any;
      await waitFor(
        'PVC data Bound',
        async () => {
          pvc = await box.getJson('/api/v1/namespaces/default/persistentvolumeclaims/data');
          return pvc.status.phase === 'Bound';
        },
        { timeoutMs: 120_000 },
      );
      const pv = await box.getJson(`/api/v1/persistentvolumes/${pvc.spec.volumeName}`);
      expect(pv.spec.csi.driver).toBe('csi.vsphere.vmware.com');
      const url = new URL(box.env.GOVC_URL!.includes('://') ? box.env.GOVC_URL! : `https://${box.env.GOVC_URL}`);
      const volumes = await cnsVolumes(url.href, box.env.GOVC_USERNAME!, box.env.GOVC_PASSWORD!);
      expect(volumes.map((v) => v.id)).toContain(pv.spec.csi.volumeHandle);

      let va: any;
      await waitFor(
        'a VolumeAttachment attached',
        async () => {
          const list = (await box.getJson('/apis/storage.k8s.io/v1/volumeattachments')).items as any[];
          va = list.find((a) => a.spec.source.persistentVolumeName === pv.metadata.name);
          return va?.status?.attached === true;
        },
        { timeoutMs: 120_000 },
      );
      expect(va.spec.attacher).toBe('csi.vsphere.vmware.com');
      expect(va.status.attachmentMetadata.type).toBe('vSphere CNS Block Volume');
      const csiNode = await box.getJson(`/apis/storage.k8s.io/v1/csinodes/${box.nodes[1]!.name}`);
      expect(csiNode.spec.drivers[0].nodeID).toBe(box.nodes[1]!.vm!.uuid.toLowerCase());
    },
  );

  it(
    'a wrong CSI password: the driver container fails with the login fault, its exit code and log',
    { timeout: 300_000 },
    async () => {
      const install = ['install', 'csi', '--cluster-id', 'box', '--timeout', '30s', '--csi-password', 'wrong'];
      // A Secret change reaches a running controller only when it restarts:
      // restart it, as an admin would after changing the credentials.
      await vk(install);
      await box.kubectl([
        '-n',
        'vmware-system-csi',
        'delete',
        'pod',
        '-l',
        'app=vsphere-csi-controller',
        '--wait=false',
      ]);
      await waitFor(
        'the CSI controller container failing',
        async () => {
          const pods = await podsOf('vmware-system-csi', 'app=vsphere-csi-controller');
          return pods.some((p) =>
            (p.status.containerStatuses ?? []).some(
              (s: any) => s.name === 'vsphere-csi-controller' && s.lastState?.terminated?.exitCode === 1,
            ),
          );
        },
        { timeoutMs: 120_000 },
      );
      const [pod] = await podsOf('vmware-system-csi', 'app=vsphere-csi-controller');
      // Read as a user would: `kubectl logs` (kwok serves the container's log file).
      const log = await box.kubectl([
        '-n',
        'vmware-system-csi',
        'logs',
        pod.metadata.name,
        '-c',
        'vsphere-csi-controller',
      ]);
      expect(log).toMatch(/failed to login to vc\. err: ServerFaultCode: Login failure/);
      // vk doctor, as a user would run next, says the controller is not ready.
      const doctor = await vk(['doctor']);
      expect(doctor.code, doctor.stdout + doctor.stderr).not.toBe(0);
      expect(doctor.stdout).toMatch(/^csi\s+fail\s+controller 0\/1 ready\s/m);
    },
  );

  it(
    'a datacenter vCenter does not have: vk install cpi refuses before applying anything',
    { timeout: 120_000 },
    async () => {
      const un = await runVk(['uninstall', 'cpi', '--yes'], env);
      expect(un.code, un.stderr).toBe(0);
      const r = await runVk(['install', 'cpi', '--insecure', '--datacenter', 'DC9'], env);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(
        'error: datacenter DC9 not found in vCenter (it has DC0); did you mean --datacenter DC0?\n',
      );
      const ds = await box.kubectl(['-n', 'kube-system', 'get', 'daemonsets,secrets', '-o', 'name']);
      expect(ds).not.toMatch(/vsphere-cloud-controller-manager|vsphere-cloud-secret/);
    },
  );

  it(
    "a node that matches no VM (neither system UUID nor name): vk install cpi names it with the CPI's own error",
    { timeout: 300_000 },
    async () => {
      // Fresh nodes, as after a cluster rebuild, plus one whose VM is gone
      // (the real CPI looks a node up by its system UUID, then by its name);
      // and no CPI yet.
      const un = await runVk(['uninstall', 'cpi', '--yes'], env);
      expect(un.code, un.stderr).toBe(0);
      await box.setNodes([
        ...box.vmNodeSpecs,
        { name: 'k8s-node-0009', systemUUID: '4213f00d-0000-4000-8000-000000000009', ip: '10.0.1.9' },
      ]);
      const r = await runVk(['install', 'cpi', '--insecure', '--timeout', '90s'], env, { timeoutMs: 180_000 });
      expect(r.code, r.stderr).toBe(1);
      const error = r.stderr.split('\n').find((l) => l.startsWith('error: '));
      // On a mismatch, say what the CCM had logged by then.
      const ccmLog = /VM not found/.test(error ?? '')
        ? ''
        : await box.kubectl(['-n', 'kube-system', 'logs', 'ds/vsphere-cloud-controller-manager', '--tail=40']);
      expect(error, ccmLog).toMatch(
        /^error: 1 of 4 nodes not initialized by the CPI: k8s-node-0009: VM not found in DC0 \(CCM log: "[^"]+"\)/,
      );
      // Read back: the nodes of existing VMs were initialized by the real CPI, this one was not.
      const nodes = await box.getJson('/api/v1/nodes');
      const byName = new Map<string, any>(nodes.items.map((n: any) => [n.metadata.name, n]));
      for (const n of box.vmNodeSpecs) expect(byName.get(n.name).spec.providerID).toMatch(/^vsphere:\/\//);
      expect(byName.get('k8s-node-0009').spec.providerID).toBeUndefined();
    },
  );
});
