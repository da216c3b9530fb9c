// `vk up` end to end: the built CLI against vcsim and the kube test server
// (its simulated CCM and CSI registration, CNS volumes created in vcsim by the
// simulated driver), with the fixture manifests served locally. What the run
// leaves behind is read back from the simulator and the server's store.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVcsim, type Vcsim } from './support/vcsim.js';
import { startKubeServer, type KubeObject, type KubeServer } from './support/kube-server/index.js';
import { RESOURCES } from './support/kube-server/registry.js';
import { simulateCsiDriver, type CsiSim } from './support/csi-sim.js';
import { startManifestServer, type ManifestServer } from './fixtures/manifests/server.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runVk } from './support/run-vk.js';

const TAINT = 'node.cloudprovider.kubernetes.io/uninitialized';
let vcsim: Vcsim;
let kube: KubeServer;
let csi: CsiSim;
let manifests: ManifestServer;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  vcsim = await startVcsim({ cluster: 1, host: 3, ds: 1, nfs: 1, folder: '/DC0/vm/k8s', folderVms: 3 });
  const vms = (await vcsim.inspect('vms')).filter((v) => v.path.startsWith('/DC0/vm/k8s/'));
  kube = await startKubeServer({
    nodes: vms.length,
    nodeOptions: {
      namePrefix: 'k8s-node-',
      controlPlane: 1,
      uuids: Object.fromEntries(vms.map((v) => [v.name, v.uuid])),
    },
  });
  csi = await simulateCsiDriver(kube, vcsim, 'NFS_0');
  manifests = await startManifestServer({ aliases: { 'v1.31.1': 'v1.31.0', 'v3.5.1': 'v3.7.0' } });
  env = {
    ...vcsim.env,
    GOVC_INSECURE: '1',
    KUBECONFIG: kube.kubeconfigPath,
    VK_MANIFEST_BASE_URL: manifests.baseUrl,
    NO_COLOR: '1',
  };
}, 120_000);

afterAll(async () => {
  await csi?.stop();
  await Promise.allSettled([vcsim?.stop(), kube?.stop(), manifests?.close()]);
});

const up = (...args: string[]) => runVk(['up', '--timeout', '20s', ...args], env, { timeoutMs: 90_000 });
const FULL = ['--folder', 'k8s', '--datastore', 'NFS_0', '--csi-username', 'k8s-csi@vsphere.local'];

/** Every object vk could have touched, with its resourceVersion; the smoke test's own objects and events left out. */
function snapshot(): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of RESOURCES) {
    if (['Event', 'Pod', 'PersistentVolumeClaim', 'PersistentVolume'].includes(r.kind)) continue;
    for (const o of kube.store.list(r.kind) as KubeObject[]) {
      const { name, namespace, resourceVersion } = o.metadata;
      if ((namespace ?? name).startsWith('vk-smoke-')) continue;
      out.set(`${r.kind}/${namespace ?? ''}/${name}`, String(resourceVersion));
    }
  }
  return out;
}

const rows = (stdout: string) =>
  Object.fromEntries(
    stdout
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(/\s{2,}/))
      .map(([step, result, detail]) => [step, { result, detail }]),
  );

describe('vk up', () => {
  it('checks every input before the first request: missing folder and datastore (exit 2, nothing changed)', async () => {
    const before = snapshot();
    const r = await up();
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      "error: missing --folder (the node VMs' folder) and --datastore or --policy (for the StorageClass); give them, or --skip prepare-vms --skip storageclass",
    );
    expect(r.stdout).toBe('');
    expect(snapshot()).toEqual(before);

    const contradiction = await up(...FULL, '--from', 'install-csi', '--skip', 'install-csi');
    expect(contradiction.code).toBe(2);
    expect(contradiction.stderr).toMatch(/^error: --from install-csi and --skip install-csi contradict each other/);

    const badStep = await up(...FULL, '--skip', 'csi');
    expect(badStep.code).toBe(2);
    expect(badStep.stderr).toMatch(/^error: Expected --skip=csi to be one of: prepare-vms, taint-nodes, install-cpi/);
  });

  it('--dry-run=server: says what each step would change, changes nothing in vCenter or the cluster', async () => {
    const before = snapshot();
    const r = await up(...FULL, '--dry-run=server');
    expect(r.stderr).not.toMatch(/error:/);
    expect(r.code).toBe(0);
    const steps = rows(r.stdout);
    expect(steps['prepare-vms']).toEqual({
      result: 'done',
      detail: '3 VMs: 3 would change (dry run: nothing changed)',
    });
    expect(steps['taint-nodes']).toEqual({
      result: 'done',
      detail: '3 nodes: 3 would be tainted (dry run, nothing changed)',
    });
    expect(steps['install-cpi']!.detail).toMatch(/^v1\.31\.1: 7 objects: .*created.* \(server dry run\)$/);
    expect(steps['install-csi']!.detail).toMatch(
      /^v3\.5\.1: \d+ objects would be created \(namespace vmware-system-csi does not exist yet\)$/,
    );
    expect(steps['storageclass']).toEqual({ result: 'done', detail: 'vsphere-csi (NFS_0) would be created' });
    expect(steps['smoke-test']).toEqual({ result: 'skipped', detail: 'dry run: it would create a volume' });
    expect(snapshot()).toEqual(before);
    const vms = (await vcsim.inspect('vms')).filter((v) => v.path.startsWith('/DC0/vm/k8s/'));
    expect(vms.map((v) => v.enableUUID ?? null)).toEqual([null, null, null]);
  }, 120_000);

  it("bare --dry-run is client: the drivers' objects are counted, not sent", async () => {
    const before = snapshot();
    const r = await up(...FULL, '--dry-run');
    expect(r.code).toBe(0);
    const steps = rows(r.stdout);
    expect(steps['install-cpi']!.detail).toMatch(/^v1\.31\.1: 7 objects would be applied \(client dry run\)$/);
    expect(steps['install-csi']!.detail).toMatch(/^v3\.5\.1: \d+ objects would be applied \(client dry run\)$/);
    expect(snapshot()).toEqual(before);
  }, 120_000);

  it('stops at the step that fails, does not run the later ones, and still prints the doctor summary', async () => {
    // --from install-csi on a bare cluster: the CPI has not initialized any node.
    const r = await up(...FULL, '--from', 'install-csi');
    expect(r.code).toBe(1);
    const steps = rows(r.stdout);
    expect(steps['prepare-vms']).toEqual({ result: 'skipped', detail: '--from install-csi' });
    expect(steps['install-cpi']).toEqual({ result: 'skipped', detail: '--from install-csi' });
    expect(steps['install-csi']!.result).toBe('failed');
    expect(steps['install-csi']!.detail).toMatch(/3 of 3 nodes have no providerID/);
    expect(steps['storageclass']!.result).toBe('not run');
    expect(steps['smoke-test']!.result).toBe('not run');
    expect(r.stderr).toMatch(/doctor: fail disk-uuid: 3 VMs without disk.enableUUID=TRUE/);
    expect(r.stderr).toMatch(/doctor: \d+ checks: .*fail/);
    expect(r.stderr).toMatch(
      /error: 3 of 3 nodes have no providerID .*; let vk up run the install-cpi step first \(--from install-cpi\)$/m,
    );
    expect(kube.store.get('StorageClass', 'vsphere-csi')).toBeUndefined();
  }, 120_000);

  it('takes the cluster from bare to persistent volumes, then a re-run changes nothing', async () => {
    const r = await up(...FULL);
    expect(r.stderr).not.toMatch(/error:/);
    expect(r.code).toBe(0);
    const steps = rows(r.stdout);
    expect(Object.keys(steps)).toEqual([
      'prepare-vms',
      'taint-nodes',
      'install-cpi',
      'install-csi',
      'storageclass',
      'smoke-test',
    ]);
    for (const s of Object.values(steps)) expect(s.result).toBe('done');
    expect(steps['prepare-vms']!.detail).toBe('3 VMs: 3 changed');
    expect(steps['taint-nodes']!.detail).toBe('3 nodes: 3 tainted');
    expect(steps['smoke-test']!.detail).toBe('a 1Gi volume of vsphere-csi on NFS_0 written and read back');
    // Both installs serve every datacenter; it is said once.
    expect(r.stderr.match(/using every datacenter: DC0/g)).toHaveLength(1);
    expect(r.stderr).toMatch(/doctor: \d+ checks: \d+ pass/);
    expect(r.stderr).not.toMatch(/doctor: fail/);

    // What a user would check by hand.
    const vms = (await vcsim.inspect('vms')).filter((v) => v.path.startsWith('/DC0/vm/k8s/'));
    expect(vms.map((v) => v.enableUUID)).toEqual(['TRUE', 'TRUE', 'TRUE']);
    for (const n of kube.store.list('Node')) {
      const spec = n.spec as { providerID?: string; taints?: { key: string }[] };
      expect(spec.providerID).toMatch(/^vsphere:\/\//);
      expect((spec.taints ?? []).map((t) => t.key)).not.toContain(TAINT);
    }
    expect(kube.store.get('DaemonSet', 'vsphere-cloud-controller-manager', 'kube-system')).toBeDefined();
    expect(kube.store.get('Deployment', 'vsphere-csi-controller', 'vmware-system-csi')).toBeDefined();
    expect(kube.store.get('CSIDriver', 'csi.vsphere.vmware.com')).toBeDefined();
    const sc = kube.store.get('StorageClass', 'vsphere-csi') as KubeObject & { parameters?: Record<string, string> };
    expect(sc.metadata.annotations?.['storageclass.kubernetes.io/is-default-class']).toBe('true');
    expect(sc.parameters?.datastoreurl).toBe((await vcsim.inspect('datastores')).find((d) => d.name === 'NFS_0')!.url);
    expect(kube.store.list('Namespace').map((n) => n.metadata.name)).not.toContainEqual(
      expect.stringMatching(/^vk-smoke-/),
    );
    expect(csi.volumes).toHaveLength(1);

    // The re-run: every step finds its work done; nothing outside the smoke test's namespace changes.
    const before = snapshot();
    const again = await up(...FULL, '-o', 'json');
    expect(again.code).toBe(0);
    const doc = JSON.parse(again.stdout) as {
      steps: { id: string; status: string; detail: string }[];
      doctor: { summary: { fail: number } };
    };
    expect(Object.fromEntries(doc.steps.map((s) => [s.id, s.detail]))).toMatchObject({
      'prepare-vms': '3 VMs: 3 already set (nothing to change)',
      'taint-nodes': 'all 3 nodes have a providerID; nothing to taint',
      'install-cpi': expect.stringMatching(/^v1\.31\.1: \d+ objects: \d+ unchanged$/),
      'install-csi': expect.stringMatching(/^v3\.5\.1: \d+ objects: \d+ unchanged$/),
      storageclass: 'vsphere-csi (NFS_0) unchanged',
    });
    expect(doc.steps.map((s) => s.status)).toEqual(Array(6).fill('done'));
    expect(doc.doctor.summary.fail).toBe(0);
    expect(snapshot()).toEqual(before);
    expect(csi.volumes).toHaveLength(2);
  }, 180_000);

  it('takes every setting from the config file vk init wrote: vk up with no flags', async () => {
    const config = join(mkdtempSync(join(tmpdir(), 'vk-up-config-')), 'config.yaml');
    const init = await runVk(
      [
        'init',
        '--config',
        config,
        '--url',
        vcsim.url,
        '--username',
        vcsim.username,
        '--password',
        vcsim.password,
        '--insecure',
        '--folder',
        'k8s',
        '--datastore',
        'NFS_0',
        '--kubeconfig',
        kube.kubeconfigPath,
      ],
      {},
    );
    expect(init.stderr).not.toMatch(/error/);
    expect(init.code).toBe(0);
    // Only the config file and the password (not saved without --save-password).
    const r = await runVk(['up', '--timeout', '20s', '--skip', 'smoke-test'], {
      VK_CONFIG: config,
      VK_PASSWORD: vcsim.password,
      VK_MANIFEST_BASE_URL: manifests.baseUrl,
    });
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    const steps = rows(r.stdout);
    expect(steps['prepare-vms']!.detail).toBe('3 VMs: 3 already set (nothing to change)');
    expect(steps['storageclass']!.detail).toBe('vsphere-csi (NFS_0) unchanged');
  }, 90_000);

  it('Ctrl-C during the smoke test: the smoke namespace is deleted, how far it got is printed, exit 130', async () => {
    kube.controllers.provisioner.enabled = false; // the claim stays Pending until the signal
    const smokeClaims = () =>
      kube.store
        .list('Namespace')
        .filter((n) => n.metadata.name.startsWith('vk-smoke-'))
        .flatMap((n) => kube.store.list('PersistentVolumeClaim', n.metadata.name));
    let sent = false;
    try {
      const r = await runVk(['up', '--timeout', '20s', ...FULL], env, {
        timeoutMs: 60_000,
        // SIGINT once the smoke test's claim exists.
        during: (child) => {
          const poll = setInterval(() => {
            if (!sent && smokeClaims().length) {
              sent = true;
              child.kill('SIGINT');
            }
          }, 20);
          child.on('close', () => clearInterval(poll));
        },
      });
      expect(sent).toBe(true);
      expect(r.code).toBe(130);
      expect(r.stderr).toContain('received SIGINT, cleaning up');
      expect(r.stderr).toMatch(/^error: interrupted during smoke-test$/m);
      const steps = rows(r.stdout);
      expect(steps['storageclass']!.result).toBe('done');
      expect(steps['smoke-test']!.result).toBe('failed');
      expect(steps['smoke-test']!.detail).toMatch(/^interrupted; namespace vk-smoke-\S+ deleted$/);
      expect(r.stderr).not.toMatch(/doctor:/);
      expect(kube.store.list('Namespace').map((n) => n.metadata.name)).not.toContainEqual(
        expect.stringMatching(/^vk-smoke-/),
      );
    } finally {
      kube.controllers.provisioner.enabled = true;
    }
  }, 90_000);
});
