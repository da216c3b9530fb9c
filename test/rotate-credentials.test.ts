// `vk rotate-credentials cpi|csi` in the box: the drivers run as their own
// vCenter accounts; the admin changes a password in vCenter (vcsim's login
// file, as SSO would), then vk puts it into the driver. The real CPI and the
// CSI stand-in log in with what the Secret holds after their restart; state
// is read back from the API server, never through vk.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBox, type Box, type KubeObject } from './box/cluster.js';
import { startManifestServer, type ManifestServer } from './fixtures/manifests/server.js';
import { runVk } from './support/run-vk.js';

const CPI_USER = 'k8s-cpi@vsphere.local';
const CSI_USER = 'k8s-csi@vsphere.local';
const OLD = { cpi: 'Cpi-0ld-pass!', csi: 'Csi-0ld-pass!' };
const NEW = { cpi: 'Cpi-N3w "pass"', csi: 'Csi-N3w;pass#\\' };
let box: Box;
let manifests: ManifestServer;
let env: NodeJS.ProcessEnv;
const T = 400_000;

const vk = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
  runVk([...args, '--insecure', '--datacenter', 'DC0'], { ...env, ...extra }, { timeoutMs: T - 10_000 });

beforeAll(async () => {
  box = await startBox({
    drivers: true,
    vcsim: {
      cluster: 1,
      host: 3,
      ds: 1,
      folder: '/DC0/vm/k8s',
      folderVms: 3,
      logins: { [CPI_USER]: OLD.cpi, [CSI_USER]: OLD.csi },
    },
  });
  manifests = await startManifestServer({ aliases: {} });
  env = { ...box.env, VK_MANIFEST_BASE_URL: manifests.baseUrl, NO_COLOR: '1' };
  for (const args of [
    ['install', 'cpi', '--cpi-username', CPI_USER, '--cpi-password', OLD.cpi],
    ['install', 'csi', '--cluster-id', 'box', '--csi-username', CSI_USER, '--csi-password', OLD.csi],
    ['storageclass', 'create', 'box-default', '--datastore', 'LocalDS_0', '--default'],
  ]) {
    const r = await vk([...args, ...(args[0] === 'install' ? ['--timeout', '240s'] : [])]);
    if (r.code !== 0) throw new Error(`vk ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  }
}, 600_000);
afterAll(async () => {
  await manifests?.close();
  await box?.stop();
});

const csiConf = async () => {
  const s = await box.store.get('Secret', 'vsphere-config-secret', 'vmware-system-csi');
  return Buffer.from((s!.data as Record<string, string>)['csi-vsphere.conf']!, 'base64').toString();
};
const secretVersion = async (name: string, ns: string) =>
  (await box.store.get('Secret', name, ns))!.metadata.resourceVersion;
const restartedAt = async (kind: string, name: string, ns: string) =>
  (
    (await box.store.get(kind, name, ns)) as KubeObject & {
      spec: { template: { metadata?: { annotations?: Record<string, string> } } };
    }
  ).spec.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt'];
const errorLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('error:'));

describe('vk rotate-credentials csi', () => {
  it(
    'a new password vCenter does not take: exit 1 naming the login failure, nothing changed, no restart',
    async () => {
      const before = await secretVersion('vsphere-config-secret', 'vmware-system-csi');
      const r = await vk(['rotate-credentials', 'csi'], { VK_CSI_PASSWORD: NEW.csi });
      expect(r.code).toBe(1);
      expect(errorLines(r.stderr)).toHaveLength(1);
      expect(r.stderr).toMatch(
        /^error: the new password of k8s-csi@vsphere\.local does not work: .*; nothing was changed/m,
      );
      expect(r.stdout + r.stderr).not.toContain(NEW.csi);
      expect(await secretVersion('vsphere-config-secret', 'vmware-system-csi')).toBe(before);
      expect(await restartedAt('Deployment', 'vsphere-csi-controller', 'vmware-system-csi')).toBeUndefined();
    },
    T,
  );

  it(
    'after the change in vCenter: --dry-run changes nothing; then the Secret holds it, the controller restarted and logged in, a volume was provisioned',
    async () => {
      const conf = await csiConf();
      box.vcsim!.setLoginPassword(CSI_USER, NEW.csi);
      const dry = await vk(['rotate-credentials', 'csi', '--dry-run'], { VK_CSI_PASSWORD: NEW.csi });
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.stdout).toMatch(
        /^vmware-system-csi\/vsphere-config-secret\s+k8s-csi@vsphere\.local\s+\S+\s+would rotate$/m,
      );
      expect(await csiConf()).toBe(conf);

      const r = await vk(['rotate-credentials', 'csi', '-o', 'json'], { VK_CSI_PASSWORD: NEW.csi });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout + r.stderr).not.toContain(NEW.csi);
      const doc = JSON.parse(r.stdout);
      expect(doc).toMatchObject({ action: 'rotated', username: CSI_USER });
      expect(doc.proof.pods.length).toBeGreaterThan(0);
      expect(doc.proof.volume).toMatch(/^pvc-/);
      // Only the password line changed.
      const after = await csiConf();
      const changed = after.split('\n').filter((l, i) => l !== conf.split('\n')[i]);
      expect(changed).toEqual(['password = "Csi-N3w;pass#\\\\"']);
      // The controller's new pods: restarted by vk, running the stand-in that logged in.
      expect(await restartedAt('Deployment', 'vsphere-csi-controller', 'vmware-system-csi')).toBeDefined();
      const pods = (
        await box.getJson(
          `/api/v1/namespaces/vmware-system-csi/pods?labelSelector=${encodeURIComponent('app=vsphere-csi-controller')}`,
        )
      ).items as { metadata: { name: string; deletionTimestamp?: string } }[];
      const live = pods.filter((p) => !p.metadata.deletionTimestamp);
      const log = await box.kubectl([
        '-n',
        'vmware-system-csi',
        'logs',
        live[0]!.metadata.name,
        '-c',
        'vsphere-csi-controller',
      ]);
      expect(log).not.toMatch(/Login failure/);
      // The proving volume's namespace is gone.
      const namespaces = ((await box.getJson('/api/v1/namespaces')).items as KubeObject[]).map((n) => n.metadata.name);
      expect(namespaces.filter((n) => n.startsWith('vk-rotate-'))).toEqual([]);

      const again = await vk(['rotate-credentials', 'csi'], { VK_CSI_PASSWORD: NEW.csi });
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toMatch(/\sunchanged$/m);
    },
    T,
  );

  it('without a new password: exit 2 naming the variable', async () => {
    const r = await vk(['rotate-credentials', 'csi']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('error: no new password for the CSI account; set VK_CSI_PASSWORD (or --csi-password)');
  }, 60_000);
});

describe('vk rotate-credentials cpi', () => {
  it(
    'the real CPI restarts with the new password and stays ready; the Secret has it for its vCenter only',
    async () => {
      box.vcsim!.setLoginPassword(CPI_USER, NEW.cpi);
      const r = await vk(['rotate-credentials', 'cpi', '--cpi-password', NEW.cpi]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout + r.stderr).not.toContain(NEW.cpi);
      expect(r.stderr).toMatch(
        /CPI: the new password of k8s-cpi@vsphere\.local is in use: \d+ pod\(s\) ready without a login failure/,
      );
      const s = await box.store.get('Secret', 'vsphere-cloud-secret', 'kube-system');
      const data = s!.data as Record<string, string>;
      const key = Object.keys(data).find((k) => k.endsWith('.password'))!;
      expect(Buffer.from(data[key]!, 'base64').toString()).toBe(NEW.cpi);
      expect(await restartedAt('DaemonSet', 'vsphere-cloud-controller-manager', 'kube-system')).toBeDefined();
    },
    T,
  );
});
