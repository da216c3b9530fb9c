// vk doctor's drift checks (cpi-drift, csi-drift) on the box: the driver
// workloads are put in place with the box's kubectl from the fixture release
// manifests (as a vk install, an older install or a hand edit leaves them),
// the fixtures are served as the release mirror (VK_MANIFEST_BASE_URL), and
// doctor's JSON report is read. No vCenter: doctor's vSphere checks fail or
// skip, which these tests do not look at.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import yaml from 'js-yaml';
import { useBox } from './support/box.js';
import { runVk } from './support/run-vk.js';
import { FIXTURE_DIR, startManifestServer, type ManifestServer } from './fixtures/manifests/server.js';

interface Check {
  id: string;
  status: 'pass' | 'warn' | 'fail' | 'skip';
  detail: string;
  fix?: string;
}
interface Obj {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [k: string]: unknown;
}

const CSI_NS = 'vmware-system-csi';
const box = useBox({ noVcsim: true });
let server: ManifestServer;

beforeAll(async () => {
  server = await startManifestServer();
});
afterAll(async () => {
  await server?.close();
});

async function fixture(file: string): Promise<Obj[]> {
  return (yaml.loadAll(await readFile(path.join(FIXTURE_DIR, file), 'utf8')) as Obj[]).filter(Boolean);
}

/** The release's workloads (and namespace) as vk install labels them, optionally with images moved under `registry`. */
async function workloads(component: 'cpi' | 'csi', version: string, registry?: string): Promise<Obj[]> {
  const files =
    component === 'cpi'
      ? [`cpi-${version}.yaml`]
      : [`csi-${version}/namespace.yaml`, `csi-${version}/vsphere-csi-driver.yaml`];
  const objs = (await Promise.all(files.map(fixture))).flat();
  return objs
    .filter((o) => ['Namespace', 'Deployment', 'DaemonSet'].includes(o.kind))
    .map((o) => {
      let text = JSON.stringify(o);
      if (registry) text = text.replaceAll('"registry.k8s.io/', `"${registry}/`);
      const copy = JSON.parse(text) as Obj;
      copy.metadata.labels = {
        ...copy.metadata.labels,
        'app.kubernetes.io/managed-by': 'vk',
        'vk.io/component': component,
        'vk.io/version': version,
      };
      return copy;
    });
}

async function apply(objs: Obj[]): Promise<void> {
  const input = objs.map((o) => JSON.stringify(o)).join('\n');
  await box.kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager', 'test', '-f', '-'], { input });
}

async function drift(): Promise<Map<string, Check>> {
  const r = await runVk(['doctor', '-o', 'json', '--kubeconfig', box.kubeconfig], {
    VK_MANIFEST_BASE_URL: server.baseUrl,
    NO_COLOR: '1',
  });
  const list = JSON.parse(r.stdout) as Check[];
  return new Map(list.filter((c) => c.id.endsWith('-drift')).map((c) => [c.id, c]));
}

async function clean(): Promise<void> {
  await box.kubectl(['delete', 'namespace', CSI_NS, '--ignore-not-found', '--wait=true']);
  await box.kubectl([
    'delete',
    '-n',
    'kube-system',
    'daemonset',
    'vsphere-cloud-controller-manager',
    '--ignore-not-found',
  ]);
}

describe('vk doctor drift', () => {
  beforeEach(clean, 60_000);

  it('skips both when nothing is installed', async () => {
    const byId = await drift();
    expect(byId.get('cpi-drift')).toMatchObject({ status: 'skip', detail: 'not installed' });
    expect(byId.get('csi-drift')).toMatchObject({ status: 'skip', detail: 'not installed' });
  });

  it('passes the releases the table pairs with Kubernetes 1.36, every image as in their manifests', async () => {
    await apply([...(await workloads('cpi', 'v1.36.0')), ...(await workloads('csi', 'v3.8.0'))]);
    const byId = await drift();
    expect(byId.get('cpi-drift')).toEqual({
      id: 'cpi-drift',
      title: expect.any(String),
      status: 'pass',
      detail:
        "CPI v1.36.0, the release vk's table pairs with Kubernetes 1.36; 1 container image as in the v1.36.0 manifest",
    });
    expect(byId.get('csi-drift')!.status).toBe('pass');
    expect(byId.get('csi-drift')!.detail).toBe(
      "CSI v3.8.0, the release vk's table pairs with Kubernetes 1.36; 13 container images as in the v3.8.0 manifest",
    );
  });

  it('fails a CSI release the table does not pair with 1.36, with the upgrade command', async () => {
    await apply(await workloads('csi', 'v3.7.0'));
    const c = (await drift()).get('csi-drift')!;
    expect(c.status).toBe('fail');
    expect(c.detail).toMatch(/^CSI v3\.7\.0 is not paired with Kubernetes 1\.36 in vk's table \(it pairs v3\.8\.0\)/);
    expect(c.detail).toContain('as in the v3.7.0 manifest');
    expect(c.fix).toBe('vk install csi --version v3.8.0');
  });

  it('names a hand-edited sidecar image: container, found, expected', async () => {
    await apply(await workloads('csi', 'v3.8.0'));
    await box.kubectl([
      'set',
      'image',
      '-n',
      CSI_NS,
      'deployment/vsphere-csi-controller',
      'csi-attacher=registry.k8s.io/sig-storage/csi-attacher:v4.9.0',
    ]);
    const c = (await drift()).get('csi-drift')!;
    expect(c.status).toBe('warn');
    expect(c.detail).toContain(
      '1 of 13 container images differ from the v3.8.0 manifest: Deployment vmware-system-csi/vsphere-csi-controller container csi-attacher: ' +
        'found registry.k8s.io/sig-storage/csi-attacher:v4.9.0, expected registry.k8s.io/sig-storage/csi-attacher:v4.12.0',
    );
    expect(c.fix).toMatch(/^restore them with vk install csi --version v3\.8\.0/);
  });

  it('takes a whole --image-registry move as no drift, and names the image the rewrite got wrong', async () => {
    const mirror = 'mirror.example:5000/vk';
    const objs = await workloads('csi', 'v3.8.0', mirror);
    expect((await drift()).get('csi-drift')!.status).toBe('skip');
    await apply(objs);
    const ok = (await drift()).get('csi-drift')!;
    expect(ok.status).toBe('pass');
    expect(ok.detail).toContain(`13 container images as in the v3.8.0 manifest under registry ${mirror}`);

    // A mirror script that flattened one path: sig-storage/ dropped for the node registrar.
    await box.kubectl([
      'set',
      'image',
      '-n',
      CSI_NS,
      'daemonset/vsphere-csi-node',
      `node-driver-registrar=${mirror}/csi-node-driver-registrar:v2.13.0`,
    ]);
    const bad = (await drift()).get('csi-drift')!;
    expect(bad.status).toBe('warn');
    expect(bad.detail).toContain(
      `DaemonSet vmware-system-csi/vsphere-csi-node container node-driver-registrar: found ${mirror}/csi-node-driver-registrar:v2.13.0, ` +
        `expected ${mirror}/sig-storage/csi-node-driver-registrar:v2.13.0`,
    );
    expect(bad.detail).toMatch(/^CSI v3\.8\.0, the release/);
  });

  it('says the images were not compared when the release manifest cannot be downloaded', async () => {
    await apply(await workloads('cpi', 'v1.36.0'));
    const r = await runVk(['doctor', '-o', 'json', '--kubeconfig', box.kubeconfig], {
      VK_MANIFEST_BASE_URL: 'http://127.0.0.1:1',
    });
    const c = (JSON.parse(r.stdout) as Check[]).find((x) => x.id === 'cpi-drift')!;
    expect(c.status).toBe('pass');
    expect(c.detail).toMatch(
      /; images not compared: cannot read the v1\.36\.0 manifest: downloading http:\/\/127\.0\.0\.1:1\/.* failed/,
    );
  });
});
