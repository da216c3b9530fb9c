// vSphere that cannot run the CSI driver, in the box: the simulator's own
// vCenter 6.5 (below the driver's 6.7 U3), ESXi hosts at 6.7, one node VM at
// virtual hardware 13 and one powered off (VMware Tools not running). The
// simulator's state is read back with its own inspector, never through vk.
import { describe, expect, it } from 'vitest';
import { useBox } from './support/box.js';
import { runVk } from './support/run-vk.js';

interface Check {
  id: string;
  status: 'pass' | 'warn' | 'fail' | 'skip';
  detail: string;
  fix?: string;
}

// k8s-node-0001 is powered off; k8s-node-0002 is at vmx-13.
const box = useBox({
  vcsim: {
    folder: '/DC0/vm/k8s',
    folderVms: 3,
    poweredOff: 1,
    vcenterVersion: 'stock',
    esxiVersion: '6.7.0',
    vmHardware: { 'k8s-node-0002': 'vmx-13' },
  },
});
const vk = (...args: string[]) =>
  runVk([...args, '--kubeconfig', box.kubeconfig, '--insecure'], { ...box.vcsim!.env, NO_COLOR: '1' });

describe('vSphere below what the CSI driver runs on', () => {
  it('the simulator really is that old', async () => {
    const about = await box.vcsim!.inspect('about');
    expect(about.apiVersion).toBe('6.5');
    const hosts = await box.vcsim!.inspect('hosts');
    expect(new Set(hosts.map((h) => h.apiVersion))).toEqual(new Set(['6.7.0.0']));
    const vms = await box.vcsim!.inspect('vms');
    const byName = new Map(vms.map((v) => [v.name, v]));
    expect(byName.get('k8s-node-0002')!.hardwareVersion).toBe('vmx-13');
    expect(byName.get('k8s-node-0001')!.toolsRunningStatus).toBe('guestToolsNotRunning');
  });

  it('vk doctor fails vsphere-version, vm-hardware and vmware-tools, naming versions, VMs and the fix', async () => {
    const r = await vk('doctor', '-o', 'json');
    expect(r.code).toBe(1);
    const byId = new Map((JSON.parse(r.stdout) as Check[]).map((c) => [c.id, c]));
    const version = byId.get('vsphere-version')!;
    expect(version.status).toBe('fail');
    expect(version.detail).toMatch(/^vCenter 6\.5 \(apiVersion 6\.5\); ESXi DC0_C0_H\d 6\.7 \(k8s-node-000\d\)/);
    expect(version.detail).toContain(
      'older than 6.7 U3, the oldest the vSphere CSI driver v3.8.0 (the release for Kubernetes 1.36) runs on',
    );
    expect(version.fix).toMatch(/^upgrade vCenter to 6\.7 U3 or later; upgrade those hosts to ESXi 6\.7 U3 or later/);
    expect(byId.get('vm-hardware')).toMatchObject({
      status: 'fail',
      detail: 'k8s-node-0002 (vmx-13): the CSI driver needs vmx-15 or later',
    });
    expect(byId.get('vmware-tools')).toMatchObject({
      status: 'fail',
      detail: 'not running on k8s-node-0001 (guestToolsNotRunning): the CPI reads node addresses from VMware Tools',
    });
  });

  it('vk install csi refuses before applying anything, in one line naming the versions and the way out', async () => {
    for (const dryRun of [['--dry-run'], []]) {
      const r = await vk('install', 'csi', '--cluster-id', 'box', ...dryRun);
      expect(r.code, r.stderr).toBe(1);
      const lines = r.stderr.trim().split('\n');
      expect(lines[0]).toMatch(
        /^error: vCenter 6\.5 \(apiVersion 6\.5\); ESXi .*older than 6\.7 U3.*; k8s-node-0002 \(vmx-13\)/,
      );
      expect(r.stderr).toContain('--skip-preflight');
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    }
    expect(await box.store.get('Namespace', 'vmware-system-csi')).toBeUndefined();
    expect(await box.store.get('CSIDriver', 'csi.vsphere.vmware.com')).toBeUndefined();
  });

  it('vk up stops before its first step, leaving the VMs and the cluster as they were', async () => {
    const before = (await box.vcsim!.inspect('vms')).map((v) => `${v.name}:${v.enableUUID}`);
    const r = await vk('up', '--folder', 'k8s', '--datastore', 'LocalDS_0', '--cluster-id', 'box', '--timeout', '60s');
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/^error: vCenter 6\.5 \(apiVersion 6\.5\); ESXi /m);
    expect(r.stderr).toContain('or pass --skip install-csi');
    expect(r.stdout).not.toMatch(/prepare-vms\s+done/);
    expect((await box.vcsim!.inspect('vms')).map((v) => `${v.name}:${v.enableUUID}`)).toEqual(before);
    expect(await box.store.get('DaemonSet', 'vsphere-cloud-controller-manager', 'kube-system')).toBeUndefined();
    const tainted = (await box.store.list('Node')).filter((n) =>
      ((n.spec as { taints?: { key: string }[] }).taints ?? []).some(
        (t) => t.key === 'node.cloudprovider.kubernetes.io/uninitialized',
      ),
    );
    expect(tainted).toHaveLength(3);
  });
});
