import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadManifest } from '../src/lib/drivers/manifests/load.js';
import {
  imagesOf,
  parseImageRef,
  rewriteImage,
  rewriteImages,
  validateImageRegistry,
} from '../src/lib/drivers/manifests/images.js';
import {
  controllerReplicas,
  cpiVersionOf,
  csiVersionOf,
  dropPlaceholders,
  managedSelector,
  CONFIG_HASH_ANNOTATION,
  setControllerReplicas,
  stampConfigHash,
  stampManagedBy,
} from '../src/lib/drivers/manifests/transforms.js';
import type { KubeObject } from '../src/lib/drivers/manifests/objects.js';
import { UsageError } from '../src/lib/core/errors.js';
import { FIXTURE_DIR } from './fixtures/manifests/server.js';

const load = (...parts: string[]) => loadManifest({ file: path.join(FIXTURE_DIR, ...parts) }, { timeoutMs: 1000 });
const cpiFixture = () => load('cpi-v1.31.0.yaml');
const csiFixture = async (version: string) => [
  ...(await load(`csi-${version}`, 'namespace.yaml')),
  ...(await load(`csi-${version}`, 'vsphere-csi-driver.yaml')),
];

const REGISTRY = 'my.registry:5000/mirror';

describe('image references', () => {
  it.each([
    [
      'registry.k8s.io/cloud-pv-vsphere/cloud-provider-vsphere:v1.31.0',
      'my.registry:5000/mirror/cloud-pv-vsphere/cloud-provider-vsphere:v1.31.0',
    ],
    [
      'gcr.io/cloud-provider-vsphere/csi/release/driver:v3.3.1',
      'my.registry:5000/mirror/cloud-provider-vsphere/csi/release/driver:v3.3.1',
    ],
    ['registry.k8s.io/sig-storage/csi-attacher:v4.5.0', 'my.registry:5000/mirror/sig-storage/csi-attacher:v4.5.0'],
    ['busybox', 'my.registry:5000/mirror/library/busybox'],
    ['bitnami/kubectl:1.31', 'my.registry:5000/mirror/bitnami/kubectl:1.31'],
    ['localhost:5000/team/app:1', 'my.registry:5000/mirror/team/app:1'],
    [
      'registry.k8s.io/sig-storage/livenessprobe:v2.15.0@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
      'my.registry:5000/mirror/sig-storage/livenessprobe:v2.15.0@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
    ],
    [
      'my.registry:5000/mirror/sig-storage/csi-attacher:v4.5.0',
      'my.registry:5000/mirror/sig-storage/csi-attacher:v4.5.0',
    ],
  ])('keeps the path after the registry host: %s', (from, to) => {
    expect(rewriteImage(from, REGISTRY)).toBe(to);
  });

  it('parses registry, repository, tag and digest', () => {
    expect(parseImageRef('my.registry:5000/a/b:v1@sha256:abc')).toEqual({
      registry: 'my.registry:5000',
      repository: 'a/b',
      tag: 'v1',
      digest: 'sha256:abc',
    });
    expect(parseImageRef('my.registry:5000/a/b')).toEqual({ registry: 'my.registry:5000', repository: 'a/b' });
  });

  it.each([
    'my.registry:5000/mirror',
    'my.registry',
    'harbor.corp.example/proxy-cache/k8s',
    'localhost:5000',
    'reg.local/',
  ])('accepts --image-registry %s', (value) => {
    expect(validateImageRegistry(value)).toBe(value.replace(/\/$/, ''));
  });

  it.each([
    ['', /empty/],
    ['https://my.registry/mirror', /drop the scheme/],
    ['my.registry/mirror:v1', /no tag/],
    ['my.registry/Mirror', /lower case/],
    ['my registry', /not a registry host/],
    ['my.registry/mirror@sha256:abc', /no digest/],
  ])('rejects --image-registry %j', (value, why) => {
    expect(() => validateImageRegistry(value)).toThrow(UsageError);
    expect(() => validateImageRegistry(value)).toThrow(why);
  });
});

describe('rewriteImages', () => {
  it('moves every container, init and ephemeral container image of the CSI manifest', async () => {
    const objects = await csiFixture('v3.3.1');
    const rewritten = rewriteImages(objects, REGISTRY);
    const images = imagesOf(rewritten);
    expect(images.length).toBeGreaterThan(5);
    for (const image of images) expect(image.startsWith(`${REGISTRY}/`), image).toBe(true);
    expect(images).toContain('my.registry:5000/mirror/cloud-provider-vsphere/csi/release/driver:v3.3.1');
    // The input is left as it was.
    expect(imagesOf(objects)).toContain('gcr.io/cloud-provider-vsphere/csi/release/driver:v3.3.1');
  });

  it('covers Pods, Jobs, CronJobs and StatefulSets, and init and ephemeral containers', () => {
    const pod = (image: string) => ({ containers: [{ name: 'c', image }], initContainers: [{ name: 'i', image }] });
    const objects: KubeObject[] = [
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'p' },
        spec: { ...pod('a.io/x:1'), ephemeralContainers: [{ name: 'e', image: 'a.io/dbg:1' }] },
      },
      { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' }, spec: { template: { spec: pod('a.io/j:1') } } },
      {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata: { name: 'c' },
        spec: { jobTemplate: { spec: { template: { spec: pod('a.io/c:1') } } } },
      },
      {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: { name: 's' },
        spec: { template: { spec: pod('a.io/s:1') } },
      },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' }, data: { image: 'a.io/not-an-image:1' } },
    ];
    const rewritten = rewriteImages(objects, 'r.local');
    expect(imagesOf(rewritten).sort()).toEqual([
      'r.local/c:1',
      'r.local/dbg:1',
      'r.local/j:1',
      'r.local/s:1',
      'r.local/x:1',
    ]);
    expect(rewritten[4]).toBe(objects[4]);
  });

  it('validates the registry before touching anything', () => {
    expect(() => rewriteImages([], 'http://r.local')).toThrow(UsageError);
  });
});

describe('placeholders', () => {
  it("drops the CPI manifest's example Secret and ConfigMap and nothing else", async () => {
    const objects = await cpiFixture();
    const kept = dropPlaceholders(objects);
    expect(objects.length - kept.length).toBe(2);
    expect(kept.find((o) => o.metadata.name === 'vsphere-cloud-secret')).toBeUndefined();
    expect(kept.find((o) => o.metadata.name === 'vsphere-cloud-config')).toBeUndefined();
    expect(kept.find((o) => o.kind === 'DaemonSet')).toBeDefined();
  });

  it('drops a CSI config secret a manifest carries, but not the manifest itself', async () => {
    const objects = await csiFixture('v3.7.0');
    expect(dropPlaceholders(objects)).toHaveLength(objects.length);
    const extra: KubeObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'vsphere-config-secret', namespace: 'vmware-system-csi' },
    };
    expect(dropPlaceholders([...objects, extra])).toHaveLength(objects.length);
  });
});

describe('versions read from a manifest', () => {
  it('reads the CPI version from the image tag', async () => {
    expect(cpiVersionOf(await cpiFixture())).toBe('v1.31.0');
    expect(cpiVersionOf(await load('cpi-v1.32.0.yaml'))).toBe('v1.32.0');
    expect(cpiVersionOf(rewriteImages(await cpiFixture(), REGISTRY))).toBe('v1.31.0');
  });

  it('reads the CSI version from the driver image', async () => {
    expect(csiVersionOf(await csiFixture('v3.3.1'))).toBe('v3.3.1');
    expect(csiVersionOf(await csiFixture('v3.7.0'))).toBe('v3.7.0');
    const nodeOnly = (await csiFixture('v3.7.0')).filter((o) => o.kind !== 'Deployment');
    expect(csiVersionOf(nodeOnly)).toBe('v3.7.0');
  });

  it('is undefined when the manifest does not say', async () => {
    expect(cpiVersionOf(await csiFixture('v3.7.0'))).toBeUndefined();
    expect(csiVersionOf([])).toBeUndefined();
  });
});

describe('CSI controller replicas', () => {
  it.each([
    [0, 1],
    [1, 1],
    [2, 2],
    [3, 3],
    [5, 3],
  ])('%i control-plane nodes → %i replicas', (nodes, replicas) => {
    expect(controllerReplicas(nodes)).toBe(replicas);
  });

  it('rejects a count that is not a whole number', () => {
    expect(() => controllerReplicas(-1)).toThrow(RangeError);
    expect(() => controllerReplicas(1.5)).toThrow(RangeError);
  });

  it('sets the vsphere-csi-controller Deployment only', async () => {
    const objects = await csiFixture('v3.7.0');
    const scaled = setControllerReplicas(objects, 1);
    const deployment = scaled.find((o) => o.kind === 'Deployment');
    expect(deployment?.spec).toMatchObject({
      replicas: 1,
      selector: { matchLabels: { app: 'vsphere-csi-controller' } },
    });
    expect(objects.find((o) => o.kind === 'Deployment')?.spec).toMatchObject({ replicas: 3 });
    expect(scaled.filter((o, i) => o !== objects[i])).toHaveLength(1);
  });
});

describe('stampManagedBy', () => {
  it('labels every object so vk can find what it installed', async () => {
    const objects = await cpiFixture();
    const stamped = stampManagedBy(objects, { component: 'cpi', version: 'v1.31.0' });
    for (const obj of stamped) {
      expect(obj.metadata.labels).toMatchObject({
        'app.kubernetes.io/managed-by': 'vk',
        'vk.io/component': 'cpi',
        'vk.io/version': 'v1.31.0',
      });
    }
    const ds = stamped.find((o) => o.kind === 'DaemonSet')!;
    expect(ds.metadata.labels).toMatchObject({ component: 'cloud-controller-manager', tier: 'control-plane' });
    expect(JSON.stringify(ds.spec)).not.toContain('vk.io');
    expect(objects[0].metadata.labels).not.toHaveProperty('vk.io/component');
    expect(managedSelector('csi')).toBe('app.kubernetes.io/managed-by=vk,vk.io/component=csi');
  });
});

describe('stampConfigHash', () => {
  const ds = (name: string): KubeObject => ({
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: 'kube-system' },
    spec: { template: { metadata: { labels: { app: name } }, spec: { containers: [] } } },
  });
  const cpi = { kind: 'DaemonSet' as const, namespace: 'kube-system', name: 'ccm', container: 'ccm' };
  const hashOf = (o: KubeObject) =>
    (o.spec as { template: { metadata: { annotations?: Record<string, string> } } }).template.metadata.annotations?.[
      CONFIG_HASH_ANNOTATION
    ];

  it('stamps only the named workload, keeps its template labels, and leaves the input alone', () => {
    const input = [ds('ccm'), ds('other')];
    const [stamped, other] = stampConfigHash(input, cpi, { 'vsphere.conf': 'a: 1\n' });
    expect(hashOf(stamped!)).toMatch(/^[0-9a-f]{16}$/);
    expect((stamped!.spec as { template: { metadata: { labels: object } } }).template.metadata.labels).toEqual({
      app: 'ccm',
    });
    expect(hashOf(other!)).toBeUndefined();
    expect(hashOf(input[0]!)).toBeUndefined();
  });

  it('is the same for the same data in any key order, and changes with the data', () => {
    const h = (data: Record<string, string>) => hashOf(stampConfigHash([ds('ccm')], cpi, data)[0]!);
    expect(h({ a: '1', b: '2' })).toBe(h({ b: '2', a: '1' }));
    expect(h({ a: '1', b: '2' })).not.toBe(h({ a: '1', b: '3' }));
  });
});
