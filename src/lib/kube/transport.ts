// HTTP to the API server: one keep-alive agent per process, credentials and
// TLS settings from the kubeconfig (via client-node), --debug lines with
// method, path, status and duration (never headers or tokens), and every
// failure translated once into a KubeApiError.

import http from 'node:http';
import https from 'node:https';
import type { Logger } from '../cli/logger.js';
import { InterruptedError } from '../core/errors.js';
import { errorFromNetwork, errorFromResponse, KubeApiError, type RequestInfo } from './errors.js';
import type { ResolvedKubeconfig } from './kubeconfig.js';

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
  /** Milliseconds before the request is abandoned (default 60s). */
  timeoutMs?: number;
}

export interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

export interface Transport {
  readonly server: string;
  readonly context: string;
  request<T>(method: string, path: string, opts?: RequestOptions): Promise<T>;
  /** GET of a plain-text resource (pod logs). */
  requestText(path: string, opts?: RequestOptions): Promise<string>;
  /** Streams watch events until the server ends the stream or the signal fires. */
  watch<T>(path: string, query: Query, onEvent: (e: WatchEvent<T>) => void, signal: AbortSignal): Promise<void>;
  close(): void;
}

/**
 * Connections to the API server at most: four times taint-nodes' default
 * --concurrency of 16; requests beyond it (--concurrency allows 256) wait for
 * a kept-alive socket instead of each opening one.
 */
const MAX_SOCKETS = 64;

export async function createTransport(cfg: ResolvedKubeconfig, log: Logger): Promise<Transport> {
  const url = new URL(cfg.server);
  const isHttps = url.protocol === 'https:';
  const base: https.RequestOptions = {};
  const kc = isHttps ? cfg.kc : await plainHttpView(cfg);
  await kc.applyToHTTPSOptions(base);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(base.headers ?? {})) if (v !== undefined) headers[k] = String(v);
  if (base.auth) {
    headers.Authorization = `Basic ${Buffer.from(base.auth).toString('base64')}`;
  }
  const cluster = kc.getCurrentCluster();
  // Proxies need client-node's agent; otherwise one keep-alive agent for all requests.
  const agent: http.Agent = cluster?.proxyUrl
    ? (base.agent as http.Agent)
    : isHttps
      ? new https.Agent({
          keepAlive: true,
          maxSockets: MAX_SOCKETS,
          ca: base.ca,
          cert: base.cert,
          key: base.key,
          pfx: base.pfx,
          passphrase: base.passphrase,
          rejectUnauthorized: base.rejectUnauthorized,
          servername: base.servername,
        })
      : new http.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS });
  const mod = isHttps ? https : http;
  const prefix = url.pathname.replace(/\/+$/, '');
  const info = (method: string, path: string): RequestInfo => ({
    method,
    path,
    server: cfg.server,
    context: cfg.context,
    user: cfg.user,
  });

  function send(
    method: string,
    path: string,
    opts: RequestOptions,
    onResponse: (res: http.IncomingMessage, done: (err?: unknown, value?: unknown) => void) => void,
    watch = false,
  ): Promise<unknown> {
    const full = path + queryString(opts.query);
    const started = performance.now();
    const signal = opts.signal;
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(abortReason(signal));
      let settled = false;
      const done = (err?: unknown, value?: unknown) => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve(value);
      };
      const body = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
      const req = mod.request({
        protocol: url.protocol,
        hostname: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port || (isHttps ? 443 : 80),
        method,
        path: prefix + full,
        agent,
        headers: {
          ...headers,
          Accept: 'application/json',
          'User-Agent': 'vk',
          ...(body ? { 'Content-Type': opts.contentType ?? 'application/json', 'Content-Length': body.length } : {}),
        },
        timeout: watch ? undefined : (opts.timeoutMs ?? 60_000),
      });
      const onAbort = () => {
        req.destroy();
        done(abortReason(signal!));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
      req.on('error', (err) => {
        log.debug(() => `${method} ${full} failed after ${ms(started)}: ${(err as Error).message}`);
        done(signal?.aborted ? abortReason(signal) : errorFromNetwork(err, info(method, full)));
      });
      req.on('response', (res) => {
        log.debug(() => `${method} ${full} ${res.statusCode} ${ms(started)}`);
        const status = res.statusCode ?? 0;
        if (status >= 400) {
          readAll(res)
            .then((text) => done(errorFromResponse(status, text, info(method, full))))
            .catch((err) => done(errorFromNetwork(err, info(method, full))));
          return;
        }
        onResponse(res, done);
      });
      req.end(body);
    });
  }

  return {
    server: cfg.server,
    context: cfg.context,
    async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
      return (await send(method, path, opts, (res, done) => {
        readAll(res)
          .then((text) => {
            if (!text) return done(undefined, undefined);
            try {
              done(undefined, JSON.parse(text));
            } catch {
              done(
                new KubeApiError(
                  `${method} ${path}: the server answered with invalid JSON`,
                  res.statusCode ?? 0,
                  undefined,
                ),
              );
            }
          })
          .catch((err) => done(errorFromNetwork(err, info(method, path))));
      })) as T;
    },
    async requestText(path: string, opts: RequestOptions = {}): Promise<string> {
      return (await send('GET', path, opts, (res, done) => {
        readAll(res)
          .then((text) => done(undefined, text))
          .catch((err) => done(errorFromNetwork(err, info('GET', path))));
      })) as string;
    },
    async watch<T>(path: string, query: Query, onEvent: (e: WatchEvent<T>) => void, signal: AbortSignal) {
      await send(
        'GET',
        path,
        { query: { ...query, watch: 'true' }, signal },
        (res, done) => {
          let buf = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            buf += chunk;
            let nl: number;
            while ((nl = buf.indexOf('\n')) >= 0) {
              const line = buf.slice(0, nl).trim();
              buf = buf.slice(nl + 1);
              if (!line) continue;
              try {
                onEvent(JSON.parse(line) as WatchEvent<T>);
              } catch (err) {
                res.destroy();
                return done(err);
              }
            }
          });
          res.on('end', () => done());
          res.on('error', (err) =>
            done(signal.aborted ? abortReason(signal) : errorFromNetwork(err, info('GET', path))),
          );
          res.on('close', () => done(signal.aborted ? abortReason(signal) : undefined));
        },
        true,
      );
    },
    close() {
      agent.destroy();
    },
  };
}

/** client-node refuses http:// servers unless TLS checks are off; for plain HTTP they mean nothing. */
async function plainHttpView(cfg: ResolvedKubeconfig) {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: cfg.kc.clusters.map((c) => ({ ...c, skipTLSVerify: true })),
    users: cfg.kc.users,
    contexts: cfg.kc.contexts,
    currentContext: cfg.kc.currentContext,
  });
  return kc;
}

function queryString(q: Query | undefined): string {
  if (!q) return '';
  const parts = Object.entries(q)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

function readAll(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new InterruptedError();
}

const ms = (started: number) => `${Math.round(performance.now() - started)}ms`;
