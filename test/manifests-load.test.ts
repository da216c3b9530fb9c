import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadManifest, manifestSourceFromFlag, parseManifest } from '../src/lib/drivers/manifests/load.js';
import { resolveCpi, resolveCsi } from '../src/lib/drivers/manifests/compatibility.js';
import { InterruptedError, UsageError, VkError } from '../src/lib/core/errors.js';
import { startManifestServer, type ManifestServer } from './fixtures/manifests/server.js';

async function rejection(p: Promise<unknown>): Promise<VkError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof VkError) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'vk-manifests-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('parsing', () => {
  it('skips empty documents and flattens Lists', async () => {
    const text = [
      '---',
      '# only a comment',
      '---',
      'apiVersion: v1',
      'kind: List',
      'items:',
      '  - {apiVersion: v1, kind: ConfigMap, metadata: {name: a, namespace: x}}',
      '  - {apiVersion: v1, kind: ConfigMap, metadata: {name: b, namespace: x}}',
      '---',
      'apiVersion: v1',
      'kind: Namespace',
      'metadata: {name: x}',
      '---',
    ].join('\n');
    const objects = await parseManifest(text, 'm.yaml');
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['ConfigMap/a', 'ConfigMap/b', 'Namespace/x']);
  });

  it('names the source and line of invalid YAML', async () => {
    const err = await rejection(parseManifest('kind: Pod\nmetadata:\n  name: [unclosed\n', 'bad.yaml'));
    expect(err.message).toMatch(/^bad\.yaml is not valid YAML: .+ at line \d+$/);
  });

  it('refuses a stream without objects', async () => {
    const err = await rejection(parseManifest('---\n# nothing\n---\n', 'empty.yaml'));
    expect(err.message).toBe('empty.yaml contains no Kubernetes objects');
  });

  it('refuses documents that are not Kubernetes objects', async () => {
    expect((await rejection(parseManifest('just a string', 's.yaml'))).message).toMatch(
      /document 1 is not a Kubernetes object/,
    );
    expect((await rejection(parseManifest('kind: Pod\nmetadata: {name: p}', 'p.yaml'))).message).toMatch(
      /document 1 has no apiVersion\/kind/,
    );
    expect((await rejection(parseManifest('apiVersion: v1\nkind: Pod\n', 'p.yaml'))).message).toMatch(
      /document 1 \(Pod\) has no metadata\.name/,
    );
  });
});

describe('files', () => {
  it('reads a manifest file', async () => {
    const file = path.join(dir, 'ok.yaml');
    await writeFile(file, 'apiVersion: v1\nkind: Namespace\nmetadata: {name: vmware-system-csi}\n');
    const objects = await loadManifest({ file }, { timeoutMs: 1000 });
    expect(objects).toHaveLength(1);
  });

  it('a missing file is a usage error naming it', async () => {
    const file = path.join(dir, 'missing.yaml');
    const err = await rejection(loadManifest({ file }, { timeoutMs: 1000 }));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toBe(`manifest file ${file} does not exist`);
  });

  it('a file that is not YAML says so', async () => {
    const file = path.join(dir, 'binary.yaml');
    await writeFile(file, '\t{ "apiVersion": [ }');
    expect((await rejection(loadManifest({ file }, { timeoutMs: 1000 }))).message).toMatch(/is not valid YAML/);
  });

  it('--manifest takes a URL or a file', () => {
    expect(manifestSourceFromFlag('https://mirror/cpi.yaml')).toEqual({ url: 'https://mirror/cpi.yaml' });
    expect(manifestSourceFromFlag('./cpi.yaml')).toEqual({ file: './cpi.yaml' });
  });
});

describe('downloads', () => {
  let server: ManifestServer;
  afterEach(async () => {
    await server?.close();
  });

  it('fetches the default CSI sources from a mirror, namespace first', async () => {
    server = await startManifestServer();
    const release = resolveCsi('v1.35.0', { version: 'v3.7.0', baseUrl: server.baseUrl });
    const objects = await loadManifest({ urls: release.urls }, { timeoutMs: 5000 });
    expect(objects[0]).toMatchObject({ kind: 'Namespace', metadata: { name: 'vmware-system-csi' } });
    expect(objects.some((o) => o.kind === 'CSIDriver' && o.metadata.name === 'csi.vsphere.vmware.com')).toBe(true);
    expect(server.requests).toEqual([
      '/kubernetes-sigs/vsphere-csi-driver/v3.7.0/manifests/vanilla/namespace.yaml',
      '/kubernetes-sigs/vsphere-csi-driver/v3.7.0/manifests/vanilla/vsphere-csi-driver.yaml',
    ]);
  });

  it('a 404 names the URL, the status and --manifest', async () => {
    server = await startManifestServer();
    const release = resolveCpi('v1.33.0', { baseUrl: server.baseUrl });
    const err = await rejection(loadManifest({ urls: release.urls }, { timeoutMs: 5000 }));
    expect(err.message).toBe(`downloading ${release.urls[0]} failed: HTTP 404 Not Found`);
    expect(err.hint).toContain('--manifest');
    expect(err.message.split('\n')).toHaveLength(1);
  });

  it('a server that never answers times out, naming the URL', async () => {
    server = await startManifestServer({ hang: true });
    const url = `${server.baseUrl}/kubernetes/cloud-provider-vsphere/v1.31.0/releases/v1.31/vsphere-cloud-controller-manager.yaml`;
    const started = Date.now();
    const err = await rejection(loadManifest({ url }, { timeoutMs: 300 }));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(err.message).toBe(`downloading ${url} timed out after 300ms`);
    expect(err.hint).toContain('--manifest FILE');
  });

  it('Ctrl-C during a download is an interruption, not a timeout', async () => {
    server = await startManifestServer({ hang: true });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const err = await rejection(
      loadManifest({ url: `${server.baseUrl}/x.yaml` }, { timeoutMs: 10_000, signal: ac.signal }),
    );
    expect(err).toBeInstanceOf(InterruptedError);
  });

  it('a refused connection names the URL and the cause', async () => {
    server = await startManifestServer();
    const url = `${server.baseUrl}/cpi.yaml`;
    await server.close();
    const err = await rejection(loadManifest({ url }, { timeoutMs: 5000 }));
    expect(err.message).toMatch(new RegExp(`^downloading ${url.replace(/[.]/g, '\\.')} failed: .*ECONNREFUSED`));
  });
});
