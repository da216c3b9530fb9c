// Reading a release manifest: download (with a timeout) or read a file, then
// parse the YAML stream into objects. Empty documents are skipped and `List`
// kinds are flattened, so callers get exactly the objects to apply.

import { readFile } from 'node:fs/promises';
import { InterruptedError, UsageError, VkError } from '../../core/errors.js';
import type { KubeObject } from './objects.js';

export type ManifestSource = { urls: string[] } | { url: string } | { file: string };

export interface LoadOptions {
  /** Per download, headers and body together. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Injected for tests; defaults to the global fetch. */
  fetch?: typeof fetch;
}

export const DEFAULT_DOWNLOAD_TIMEOUT_MS = 30_000;

const MANIFEST_HINT = 'download it elsewhere and pass --manifest FILE, or point --manifest at a reachable URL';

function describeCause(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  // undici reports "fetch failed" and puts the socket error in `cause`.
  const cause = (err as { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === 'string' && !cause.message.includes(code) ? `${code} ${cause.message}` : cause.message;
  }
  return err.message;
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** Downloads one manifest as text; one-line errors name the URL and the --manifest way out. */
export async function downloadManifest(url: string, opts: LoadOptions): Promise<string> {
  const doFetch = opts.fetch ?? fetch;
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  try {
    const res = await doFetch(url, { signal, redirect: 'follow' });
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined);
      const status = `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`;
      throw new VkError(`downloading ${url} failed: ${status}`, { hint: MANIFEST_HINT });
    }
    return await res.text();
  } catch (err) {
    if (err instanceof VkError) throw err;
    if (opts.signal?.aborted) throw new InterruptedError();
    if (timeout.aborted) {
      throw new VkError(`downloading ${url} timed out after ${seconds(opts.timeoutMs)}`, { hint: MANIFEST_HINT });
    }
    throw new VkError(`downloading ${url} failed: ${describeCause(err)}`, { hint: MANIFEST_HINT, cause: err });
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asObject(doc: unknown, origin: string, where: string): KubeObject {
  if (!isRecord(doc)) {
    throw new VkError(`${origin}: ${where} is not a Kubernetes object (expected a mapping with apiVersion and kind)`);
  }
  const meta = doc.metadata;
  if (typeof doc.apiVersion !== 'string' || typeof doc.kind !== 'string') {
    throw new VkError(`${origin}: ${where} has no apiVersion/kind, so it is not a Kubernetes object`);
  }
  if (!isRecord(meta) || typeof meta.name !== 'string' || meta.name === '') {
    throw new VkError(`${origin}: ${where} (${doc.kind}) has no metadata.name`);
  }
  return doc as KubeObject;
}

/**
 * Parses a YAML stream into Kubernetes objects. `origin` (file or URL) names
 * the source in errors. A stream with no objects is an error: applying it
 * would silently install nothing.
 */
export async function parseManifest(text: string, origin: string): Promise<KubeObject[]> {
  const yaml = await import('js-yaml');
  let docs: unknown[];
  try {
    docs = yaml.loadAll(text);
  } catch (err) {
    const reason = err instanceof yaml.YAMLException ? err.reason : String(err);
    const line = err instanceof yaml.YAMLException && err.mark ? ` at line ${err.mark.line + 1}` : '';
    throw new VkError(`${origin} is not valid YAML: ${reason}${line}`);
  }
  const objects: KubeObject[] = [];
  docs.forEach((doc, i) => {
    if (doc === null || doc === undefined) return;
    const where = `document ${i + 1}`;
    if (isRecord(doc) && typeof doc.kind === 'string' && doc.kind.endsWith('List') && Array.isArray(doc.items)) {
      doc.items.forEach((item, j) => objects.push(asObject(item, origin, `${where} item ${j + 1}`)));
      return;
    }
    objects.push(asObject(doc, origin, where));
  });
  if (objects.length === 0) {
    throw new VkError(`${origin} contains no Kubernetes objects`, { hint: 'pass the release manifest YAML' });
  }
  return objects;
}

async function readManifestFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(`manifest file ${file} does not exist`);
    if (code === 'EISDIR') throw new UsageError(`manifest file ${file} is a directory`);
    throw new VkError(`cannot read manifest file ${file}: ${(err as Error).message}`);
  }
}

/**
 * The objects of a manifest source, in order: for `urls`, each download's
 * objects follow the previous one's (CSI: namespace.yaml, then the driver).
 */
export async function loadManifest(source: ManifestSource, opts: LoadOptions): Promise<KubeObject[]> {
  if ('file' in source) return parseManifest(await readManifestFile(source.file), source.file);
  const urls = 'url' in source ? [source.url] : source.urls;
  const objects: KubeObject[] = [];
  for (const url of urls) {
    objects.push(...(await parseManifest(await downloadManifest(url, opts), url)));
  }
  return objects;
}

/** `--manifest FILE|URL`: an http(s) URL is downloaded, anything else is a file path. */
export function manifestSourceFromFlag(value: string): ManifestSource {
  return /^https?:\/\//i.test(value) ? { url: value } : { file: value };
}
