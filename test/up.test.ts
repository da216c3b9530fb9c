// `vk up` end to end in the box: the built CLI against vcsim and a real
// Kubernetes control plane, where the real CPI initializes the nodes, the
// real csi-provisioner and csi-attacher (behind the CSI stand-in, see
// test/README.md) provision the smoke test's volume in vcsim's CNS, and the
// box's runtime runs the smoke test's pods. What the run leaves behind is
// read back from vcsim and the API server, never through vk.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBox, UNINITIALIZED_TAINT, type Box, type KubeObject } from './box/cluster.js';
import { startManifestServer, type ManifestServer } from './fixtures/manifests/server.js';
import { runVk } from './support/run-vk.js';
import {
  JOURNEY_BOX,
  JOURNEY_CSI_PASSWORD,
  JOURNEY_CSI_USER,
  JOURNEY_UP_FLAGS,
  journeyEnv,
} from './support/journey.js';

let box: Box;
let manifests: ManifestServer;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  box = await startBox(JOURNEY_BOX);
  // The fixtures for Kubernetes 1.36 (CPI v1.36.0, CSI v3.8.0) name the
  // releases the box builds; the runtime runs no other tag.
  manifests = await startManifestServer({ aliases: {} });
  env = { ...journeyEnv(box, manifests), NO_COLOR: '1' };
}, 600_000);

afterAll(async () => {
  await manifests?.close();
  await box?.stop();
});

// Rollouts of the real drivers on a loaded 2-core machine take a while.
const T = 400_000;
const up = (...args: string[]) => runVk(['up', '--timeout', '240s', ...args], env, { timeoutMs: T - 10_000 });
const FULL = JOURNEY_UP_FLAGS;

// Kinds vk could touch. Nodes, pods, events, leases and volumes change on
// their own (heartbeats, the smoke test); nodes are compared by what vk sets.
const SNAPSHOT_KINDS = [
  'Namespace',
  'Secret',
  'ConfigMap',
  'ServiceAccount',
  'Service',
  'Deployment',
  'DaemonSet',
  'StorageClass',
  'CSIDriver',
  'ClusterRole',
  'ClusterRoleBinding',
  'Role',
  'RoleBinding',
];
type NodeSpec = { providerID?: string; taints?: { key: string }[] };

/** Every object vk could have touched, with its resourceVersion (nodes: providerID and taints). */
async function snapshot(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const kind of SNAPSHOT_KINDS) {
    for (const o of await box.store.list(kind)) {
      const { name, namespace, resourceVersion } = o.metadata;
      if ((namespace ?? name).startsWith('vk-smoke-')) continue;
      out.set(`${kind}/${namespace ?? ''}/${name}`, String(resourceVersion));
    }
  }
  for (const n of await box.store.list('Node')) {
    const spec = n.spec as NodeSpec;
    out.set(
      `Node/${n.metadata.name}`,
      // Without the node lifecycle controller's own node.kubernetes.io/* taints.
      JSON.stringify([
        spec.providerID ?? null,
        (spec.taints ?? []).map((t) => t.key).filter((k) => !k.startsWith('node.kubernetes.io/')),
      ]),
    );
  }
  return out;
}

const smokeNamespaces = async () =>
  (await box.store.list('Namespace')).map((n) => n.metadata.name).filter((n) => n.startsWith('vk-smoke-'));
const nodeVms = async () => (await box.vcsim!.inspect('vms')).filter((v) => v.path.startsWith('/DC0/vm/k8s/'));

const rows = (stdout: string) =>
  Object.fromEntries(
    stdout
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(/\s{2,}/))
      .map(([step, result, detail]) => [step, { result, detail }]),
  );

describe('vk up in the box', () => {
  it('checks every input before the first request: missing folder and datastore (exit 2, nothing changed)', async () => {
    const before = await snapshot();
    const r = await up();
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      "error: missing --folder (the node VMs' folder) and --datastore or --policy (for the StorageClass); give them, or --skip prepare-vms --skip storageclass",
    );
    expect(r.stdout).toBe('');
    expect(await snapshot()).toEqual(before);

    const contradiction = await up(...FULL, '--from', 'install-csi', '--skip', 'install-csi');
    expect(contradiction.code).toBe(2);
    expect(contradiction.stderr).toMatch(/^error: --from install-csi and --skip install-csi contradict each other/);

    const badStep = await up(...FULL, '--skip', 'csi');
    expect(badStep.code).toBe(2);
    expect(badStep.stderr).toMatch(/^error: Expected --skip=csi to be one of: prepare-vms, taint-nodes, install-cpi/);
  }, 60_000);

  it(
    '--dry-run=server: says what each step would change, changes nothing in vCenter or the cluster',
    async () => {
      const before = await snapshot();
      const r = await up(...FULL, '--dry-run=server');
      expect(r.stderr).not.toMatch(/error:/);
      expect(r.code).toBe(0);
      const steps = rows(r.stdout);
      expect(steps['prepare-vms']).toEqual({
        result: 'done',
        detail: '3 VMs: 3 would change (dry run: nothing changed)',
      });
      // kwok registers the nodes as kubelet --cloud-provider=external does: already tainted.
      expect(steps['taint-nodes']).toEqual({
        result: 'done',
        detail: '3 nodes: 3 already tainted (dry run, nothing changed)',
      });
      // Kubernetes 1.36 pairs with CPI v1.36.0 and CSI v3.8.0 in vk's table.
      expect(steps['install-cpi']!.detail).toMatch(/^v1\.36\.0: \d+ objects: .*created.* \(server dry run\)$/);
      expect(steps['install-csi']!.detail).toMatch(
        /^v3\.8\.0: \d+ objects would be created \(namespace vmware-system-csi does not exist yet\)$/,
      );
      expect(steps['storageclass']).toEqual({ result: 'done', detail: 'vsphere-csi (NFS_0) would be created' });
      expect(steps['smoke-test']).toEqual({ result: 'skipped', detail: 'dry run: it would create a volume' });
      expect(await snapshot()).toEqual(before);
      expect((await nodeVms()).map((v) => v.enableUUID ?? null)).toEqual([null, null, null]);
    },
    T,
  );

  it("bare --dry-run is client: the drivers' objects are counted, not sent", async () => {
    const before = await snapshot();
    const r = await up(...FULL, '--dry-run');
    expect(r.code, r.stderr).toBe(0);
    const steps = rows(r.stdout);
    expect(steps['install-cpi']!.detail).toMatch(/^v1\.36\.0: \d+ objects would be applied \(client dry run\)$/);
    expect(steps['install-csi']!.detail).toMatch(/^v3\.8\.0: \d+ objects would be applied \(client dry run\)$/);

    // -o json: each step's plan, as plain data, with no secret in it.
    const json = await up(...FULL, '--dry-run', '-o', 'json');
    expect(json.code, json.stderr).toBe(0);
    const doc = JSON.parse(json.stdout) as { steps: { id: string; plan?: Record<string, unknown> }[] };
    const plans = Object.fromEntries(doc.steps.map((s) => [s.id, s.plan]));
    expect((plans['prepare-vms']!.vms as { action: string }[]).map((v) => v.action)).toEqual(['set', 'set', 'set']);
    expect(plans['install-cpi']).toMatchObject({ version: 'v1.36.0' });
    expect(plans['install-cpi']!.objects).toContainEqual({
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      namespace: 'kube-system',
      name: 'vsphere-cloud-controller-manager',
    });
    expect(plans['install-csi']).toMatchObject({ version: 'v3.8.0' });
    expect(plans['storageclass']).toMatchObject({ action: 'create' });
    expect(plans['smoke-test']).toBeUndefined();
    expect(json.stdout).not.toContain(JOURNEY_CSI_PASSWORD);
    expect(json.stdout).not.toContain(box.vcsim!.password);
    expect(await snapshot()).toEqual(before);
  }, 120_000);

  it(
    'stops at the step that fails, does not run the later ones, and still prints the doctor summary',
    async () => {
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
      expect(await box.store.get('StorageClass', 'vsphere-csi')).toBeUndefined();
    },
    T,
  );

  it(
    'takes the cluster from bare to persistent volumes with the real drivers, then a re-run changes nothing',
    async () => {
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
      expect(steps['smoke-test']!.detail).toBe('a 1Gi volume of vsphere-csi on NFS_0 written and read back');
      // Both installs serve every datacenter; it is said once.
      expect(r.stderr.match(/using every datacenter: DC0/g)).toHaveLength(1);
      expect(r.stderr).toMatch(/doctor: \d+ checks: \d+ pass/);
      expect(r.stderr).not.toMatch(/doctor: fail/);

      // What a user would check by hand.
      const vms = await nodeVms();
      expect(vms.map((v) => v.enableUUID)).toEqual(['TRUE', 'TRUE', 'TRUE']);
      for (const n of await box.store.list('Node')) {
        const vm = vms.find((v) => v.name.toLowerCase() === n.metadata.name)!;
        const spec = n.spec as NodeSpec;
        expect(spec.providerID).toBe(`vsphere://${vm.uuid}`);
        expect((spec.taints ?? []).map((t) => t.key)).not.toContain(UNINITIALIZED_TAINT);
      }
      expect(await box.store.get('DaemonSet', 'vsphere-cloud-controller-manager', 'kube-system')).toBeDefined();
      expect(await box.store.get('Deployment', 'vsphere-csi-controller', 'vmware-system-csi')).toBeDefined();
      expect(await box.store.get('CSIDriver', 'csi.vsphere.vmware.com')).toBeDefined();
      const sc = (await box.store.get('StorageClass', 'vsphere-csi')) as KubeObject & {
        parameters?: Record<string, string>;
      };
      expect(sc.metadata.annotations?.['storageclass.kubernetes.io/is-default-class']).toBe('true');
      const nfs = (await box.vcsim!.inspect('datastores')).find((d) => d.name === 'NFS_0')!;
      expect(sc.parameters?.datastoreurl).toBe(nfs.url);
      expect(await smokeNamespaces()).toEqual([]);
      // The CSI driver logs in as its own account, not the admin's.
      const secret = await box.store.get('Secret', 'vsphere-config-secret', 'vmware-system-csi');
      const conf = Buffer.from((secret!.data as Record<string, string>)['csi-vsphere.conf']!, 'base64').toString();
      expect(conf).toContain(`user = "${JOURNEY_CSI_USER}"`);

      // The re-run: every step finds its work done; nothing outside the smoke test's namespace changes.
      const before = await snapshot();
      const again = await up(...FULL, '-o', 'json');
      expect(again.code, again.stderr).toBe(0);
      const doc = JSON.parse(again.stdout) as {
        steps: { id: string; status: string; detail: string }[];
        doctor: { summary: { fail: number } };
      };
      expect(Object.fromEntries(doc.steps.map((s) => [s.id, s.detail]))).toMatchObject({
        'prepare-vms': '3 VMs: 3 already set (nothing to change)',
        'taint-nodes': 'all 3 nodes have a providerID; nothing to taint',
        'install-cpi': expect.stringMatching(/^v1\.36\.0: \d+ objects: \d+ unchanged$/),
        'install-csi': expect.stringMatching(/^v3\.8\.0: \d+ objects: \d+ unchanged$/),
        storageclass: 'vsphere-csi (NFS_0) unchanged',
      });
      expect(doc.steps.map((s) => s.status)).toEqual(Array(6).fill('done'));
      expect(doc.doctor.summary.fail).toBe(0);
      expect(await snapshot()).toEqual(before);
    },
    2 * T,
  );

  it(
    'takes every setting from the config file vk init wrote: vk up with no flags',
    async () => {
      const config = join(mkdtempSync(join(tmpdir(), 'vk-up-config-')), 'config.yaml');
      const vc = box.vcsim!;
      const init = await runVk(
        [
          'init',
          '--config',
          config,
          '--url',
          vc.url,
          '--username',
          vc.username,
          '--password',
          vc.password,
          '--insecure',
          '--folder',
          'k8s',
          '--datastore',
          'NFS_0',
          '--kubeconfig',
          box.kubeconfig,
        ],
        { HOME: env.HOME, XDG_CONFIG_HOME: env.HOME },
      );
      expect(init.stderr).not.toMatch(/error/);
      expect(init.code).toBe(0);
      // Only the config file and the password (not saved without --save-password).
      const r = await runVk(
        ['up', '--timeout', '240s', '--skip', 'smoke-test', '--skip', 'install-csi'],
        {
          HOME: env.HOME,
          XDG_CONFIG_HOME: env.HOME,
          VK_CONFIG: config,
          VK_PASSWORD: vc.password,
          VK_MANIFEST_BASE_URL: manifests.baseUrl,
        },
        { timeoutMs: T - 10_000 },
      );
      expect(r.stderr).not.toMatch(/error/);
      expect(r.code).toBe(0);
      const steps = rows(r.stdout);
      expect(steps['prepare-vms']!.detail).toBe('3 VMs: 3 already set (nothing to change)');
      expect(steps['install-cpi']!.detail).toMatch(/^v1\.36\.0: \d+ objects: \d+ unchanged$/);
      expect(steps['storageclass']!.detail).toBe('vsphere-csi (NFS_0) unchanged');
    },
    T,
  );

  it(
    'Ctrl-C during the smoke test: the smoke namespace is deleted, how far it got is printed, exit 130',
    async () => {
      const smokeClaims = async () =>
        ((await box.getJson('/api/v1/persistentvolumeclaims')).items as KubeObject[]).filter((c) =>
          c.metadata.namespace?.startsWith('vk-smoke-'),
        );
      let sent = false;
      const r = await runVk(['up', '--timeout', '240s', ...FULL], env, {
        timeoutMs: T - 10_000,
        // SIGINT once the smoke test's claim exists.
        during: (child) => {
          let busy = false;
          const poll = setInterval(() => {
            if (sent || busy) return;
            busy = true;
            void smokeClaims()
              .then((claims) => {
                if (claims.length && !sent) {
                  sent = true;
                  child.kill('SIGINT');
                }
              })
              .catch(() => undefined)
              .finally(() => (busy = false));
          }, 100);
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
      expect(await smokeNamespaces()).toEqual([]);
    },
    T,
  );
});
