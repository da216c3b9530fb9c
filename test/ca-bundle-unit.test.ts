// --ca-file reaches the driver pods: the bundle's content goes into the
// config object the driver mounts, the config names its path inside the pod,
// the path comes from the manifest's mount, and doctor verifies the bundle
// against the chain vCenter presents.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../src/lib/cli/logger.js';
import { CA_BUNDLE_KEY, DRIVER_CONFIG_DIR, readCaBundle, validateCaBundleKey } from '../src/lib/drivers/ca-bundle.js';
import { revealObjects } from '../src/lib/drivers/config-objects.js';
import { UsageError, VkError } from '../src/lib/core/errors.js';
import { configMountDir, type ConfigMountRef } from '../src/lib/drivers/manifests/config-mount.js';
import { parseManifest } from '../src/lib/drivers/manifests/load.js';
import { podSpecOf, type KubeObject } from '../src/lib/drivers/manifests/objects.js';
import { Secret } from '../src/lib/core/secret.js';
import { caBundleTrusts } from '../src/lib/doctor/drivers.js';
import { planCpi, planCsi, type GenerateDeps } from '../src/lib/drivers/generate.js';
import { FIXTURE_DIR } from './fixtures/manifests/server.js';

const dir = mkdtempSync(join(tmpdir(), 'vk-ca-'));
const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });

/** A CA certificate and key under `dir`. */
function makeCa(name: string) {
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.pem`,
  );
}
/** A server certificate for `host` signed by CA `ca`, PEM. */
function makeLeaf(host: string, ca: string) {
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${host}`, '-keyout', 'leaf.key', '-out', 'leaf.csr');
  writeFileSync(join(dir, 'ext.cnf'), `subjectAltName=DNS:${host}\n`);
  openssl(
    'x509',
    '-req',
    '-in',
    'leaf.csr',
    '-CA',
    `${ca}.pem`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    'ext.cnf',
    '-out',
    'leaf.pem',
  );
  return readFileSync(join(dir, 'leaf.pem'), 'utf8');
}

const deps: GenerateDeps = {
  listDatacenters: async () => ['DC0'],
  kubeSystemUid: async () => '6f1c3e0a-1b2c-4d5e-8f90-123456789abc',
  verifyLogin: async () => undefined,
  applyObjects: async () => [],
};
const common = (caFile: string) => ({
  settings: {
    url: 'https://vc.example.com/sdk',
    username: 'administrator@vsphere.local',
    password: new Secret('pw'),
    insecure: false,
    caFile,
  },
  datacenters: ['DC0'],
  credentials: {},
  verify: false,
  log: silentLogger,
});
const csiOpts = (caFile: string) => ({
  ...common(caFile),
  version: 'v3.7.3',
  clusterId: 'c1',
  fileShareClusters: [],
  fileShareDatastoreUrls: [],
  topologyCategories: [],
  netPermissions: [],
});

describe('the CA bundle in the driver config objects', () => {
  beforeAll(() => makeCa('ca'));

  it('CSI: the bundle is a key of vsphere-config-secret and ca-file names it under /etc/cloud', async () => {
    const file = join(dir, 'ca.pem');
    const plan = await planCsi(csiOpts(file), deps);
    const [secret] = revealObjects(plan.objects);
    const data = (secret as { stringData: Record<string, string> }).stringData;
    expect(data[CA_BUNDLE_KEY]).toContain(readFileSync(file, 'utf8').trim());
    expect(data['csi-vsphere.conf']).toContain(`ca-file = "${DRIVER_CONFIG_DIR}/${CA_BUNDLE_KEY}"`);
    expect(data['csi-vsphere.conf']).not.toContain(dir);
  });

  it('CPI: the bundle is a key of vsphere-cloud-config and caFile names it under /etc/cloud', async () => {
    const file = join(dir, 'ca.pem');
    const plan = await planCpi(common(file), deps);
    const cm = plan.objects.find((o) => o.kind === 'ConfigMap') as { data: Record<string, string> };
    expect(cm.data[CA_BUNDLE_KEY]).toContain('BEGIN CERTIFICATE');
    expect(cm.data['vsphere.conf']).toContain(`caFile: ${DRIVER_CONFIG_DIR}/${CA_BUNDLE_KEY}`);
    expect(cm.data['vsphere.conf']).not.toContain(dir);
  });

  it('the path follows the mount the installed manifest uses', async () => {
    const plan = await planCsi({ ...csiOpts(join(dir, 'ca.pem')), configMountDir: '/etc/vsphere' }, deps);
    const [secret] = revealObjects(plan.objects);
    expect((secret as { stringData: Record<string, string> }).stringData['csi-vsphere.conf']).toContain(
      'ca-file = "/etc/vsphere/vcenter-ca.pem"',
    );
  });

  it('joins several files given with ":"', async () => {
    makeCa('other');
    const bundle = await readCaBundle(`${join(dir, 'ca.pem')}:${join(dir, 'other.pem')}`);
    expect(bundle.pem.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    expect(bundle.path).toBe('/etc/cloud/vcenter-ca.pem');
  });

  it('a file that is not PEM is a one-line usage error naming it', async () => {
    const bad = join(dir, 'bad.pem');
    writeFileSync(bad, 'not a certificate\n');
    const err = await readCaBundle(bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe(`--ca-file ${bad} contains no PEM certificate`);
    await expect(planCsi(csiOpts(bad), deps)).rejects.toThrow(/contains no PEM certificate/);
  });

  it('the key is a legal Secret/ConfigMap key, and an illegal one is refused', () => {
    expect(() => validateCaBundleKey(CA_BUNDLE_KEY)).not.toThrow();
    expect(() => validateCaBundleKey('certs/ca.pem')).toThrow(UsageError);
    expect(() => validateCaBundleKey('ca pem')).toThrow(/invalid/);
  });
});

describe('configMountDir', () => {
  const csi: ConfigMountRef = {
    kind: 'Deployment',
    name: 'vsphere-csi-controller',
    source: { kind: 'Secret', name: 'vsphere-config-secret' },
    key: CA_BUNDLE_KEY,
  };
  const cpi: ConfigMountRef = {
    kind: 'DaemonSet',
    name: 'vsphere-cloud-controller-manager',
    source: { kind: 'ConfigMap', name: 'vsphere-cloud-config' },
    key: CA_BUNDLE_KEY,
  };
  const load = async (file: string) => parseManifest(await readFile(join(FIXTURE_DIR, file), 'utf8'), file);
  const controller = (objects: KubeObject[]) =>
    podSpecOf(objects.find((o) => o.metadata.name === 'vsphere-csi-controller' && o.kind === 'Deployment')!)!;

  it.each([
    ['csi-v3.3.1/vsphere-csi-driver.yaml', csi],
    ['csi-v3.7.0/vsphere-csi-driver.yaml', csi],
    ['cpi-v1.31.0.yaml', cpi],
    ['cpi-v1.32.0.yaml', cpi],
  ])('%s mounts the config object at /etc/cloud', async (file, ref) => {
    expect(configMountDir(await load(file), ref)).toBe(DRIVER_CONFIG_DIR);
  });

  it('fails in one line when the manifest mounts the Secret only by subPath', async () => {
    const objects = await load('csi-v3.7.0/vsphere-csi-driver.yaml');
    for (const c of controller(objects).containers!) {
      for (const m of (c.volumeMounts ?? []) as { name: string; subPath?: string }[]) {
        if (m.name === 'vsphere-config-volume') m.subPath = 'csi-vsphere.conf';
      }
    }
    const err = (() => {
      try {
        configMountDir(objects, csi);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(VkError);
    expect((err as Error).message).toMatch(/only by subPath/);
    expect((err as Error).message).not.toContain('\n');
  });

  it('fails when the manifest does not mount the Secret, or projects only other keys', async () => {
    const objects = await load('csi-v3.7.0/vsphere-csi-driver.yaml');
    const volumes = controller(objects).volumes as { secret?: { secretName: string; items?: unknown[] } }[];
    volumes.find((v) => v.secret)!.secret!.items = [{ key: 'csi-vsphere.conf', path: 'csi-vsphere.conf' }];
    expect(() => configMountDir(objects, csi)).toThrow(/projects only some keys/);
    volumes.find((v) => v.secret)!.secret!.secretName = 'elsewhere';
    expect(() => configMountDir(objects, csi)).toThrow(/does not mount Secret vsphere-config-secret/);
  });
});

describe('caBundleTrusts', () => {
  it('accepts the CA that signed the server certificate for its host, and nothing else', () => {
    makeCa('ca');
    makeCa('other');
    const leaf = makeLeaf('vc.example.com', 'ca');
    const ca = readFileSync(join(dir, 'ca.pem'), 'utf8');
    const other = readFileSync(join(dir, 'other.pem'), 'utf8');
    expect(caBundleTrusts(ca, [leaf], 'vc.example.com')).toBe(true);
    expect(caBundleTrusts(other + ca, [leaf], 'vc.example.com')).toBe(true);
    expect(caBundleTrusts(other, [leaf], 'vc.example.com')).toMatch(/no certificate in it signed/);
    expect(caBundleTrusts(ca, [leaf], 'vc2.example.com')).toMatch(/not issued for vc2.example.com/);
  });
});
