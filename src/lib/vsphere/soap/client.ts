// The vim25 SOAP client: one HTTPS endpoint, one undici Agent (its own TLS
// policy), the session cookie, a per-request timeout and the process's
// AbortSignal. `invoke` sends any vim25 method; typed helpers live in
// session.ts, property-collector.ts, view.ts, inventory.ts and task.ts.

import { InterruptedError, VkError } from '../../core/errors.js';
import type { Logger } from '../../cli/logger.js';
import { decodeField } from './decode.js';
import { ConnectionError, faultError, HttpError, parseSoapFault } from './faults.js';
import { createAgent, type TlsSettings } from './tls.js';
import type { ManagedObjectReference, ServiceContent } from '../types.js';
import { children, envelope, localName, parseXml, type SoapObject } from './xml.js';
import type * as Undici from 'undici';

export interface ClientOptions {
  /** The SDK endpoint, e.g. https://vc.example.com/sdk (no credentials). */
  url: URL;
  tls: TlsSettings;
  timeoutMs: number;
  log: Logger;
  signal?: AbortSignal;
}

/** A SOAP service next to vim25 (PBM, CNS) on the same session. */
export interface SoapService {
  readonly url: URL;
  invoke<T = unknown>(method: string, self: ManagedObjectReference, args?: SoapObject, returns?: string): Promise<T>;
}

/** undici, imported on the first request (not at startup: `vk --help` never needs it). */
let undici: typeof Undici | undefined;

/** SOAPAction version before the server's own is known (answered by every vCenter since 6.0). */
const INITIAL_VERSION = '6.0';

export class VimClient {
  readonly url: URL;
  /** host:port, for messages. */
  readonly hostPort: string;
  readonly timeoutMs: number;
  /** SOAP requests sent by this client (benchmarks print it). */
  requestCount = 0;
  /** vmware_soap_session cookie (the session); set by Login or a saved session. */
  cookie?: string;
  /** API version used in SOAPAction; set from the server's about.apiVersion. */
  version = INITIAL_VERSION;
  serviceContent?: ServiceContent;

  readonly #agent: Undici.Agent;
  readonly #log: Logger;
  #signal?: AbortSignal;

  private constructor(opts: ClientOptions, agent: Undici.Agent) {
    this.url = opts.url;
    this.hostPort = hostPortOf(opts.url);
    this.timeoutMs = opts.timeoutMs;
    this.#agent = agent;
    this.#log = opts.log;
    this.#signal = opts.signal;
  }

  static async create(opts: ClientOptions): Promise<VimClient> {
    const agent = await createAgent(opts.tls, opts.timeoutMs, hostPortOf(opts.url));
    return new VimClient(opts, agent);
  }

  /** The ServiceContent, fetched once (needs no session). */
  async retrieveServiceContent(): Promise<ServiceContent> {
    if (this.serviceContent) return this.serviceContent;
    const sc = await this.invoke<ServiceContent>(
      'RetrieveServiceContent',
      { type: 'ServiceInstance', value: 'ServiceInstance' },
      {},
      'ServiceContent',
    );
    this.serviceContent = sc;
    if (sc.about?.apiVersion) this.version = sc.about.apiVersion;
    return sc;
  }

  /** The ServiceContent; throws when retrieveServiceContent() has not run yet. */
  get sc(): ServiceContent {
    if (!this.serviceContent) {
      throw new VkError(`no service content from ${this.hostPort} yet`, {
        hint: 'this is a bug in vk: the client was used before it connected',
      });
    }
    return this.serviceContent;
  }

  /**
   * Calls a vim25 method on `self` with `args` (field order as in the API
   * reference) and decodes `returnval` as `returns` (e.g. 'TaskInfo',
   * 'ManagedObjectReference', 'ObjectContent[]'); without it, by shape.
   * vCenter faults are thrown as VimFault subclasses.
   */
  async invoke<T = unknown>(
    method: string,
    self: ManagedObjectReference,
    args: SoapObject = {},
    returns?: string,
  ): Promise<T> {
    return this.#call(this.url, 'urn:vim25', `urn:vim25/${this.version}`, false, method, self, args, returns);
  }

  /**
   * Another SOAP service of the same vCenter that shares this session, TLS
   * policy, timeout and request count: PBM (`{ path: '/pbm', namespace:
   * 'urn:pbm' }`) or CNS (`{ path: '/vsanHealth' }`, urn:vim25 methods).
   */
  service(endpoint: { path: string; namespace?: string; version?: string }): SoapService {
    const url = new URL(endpoint.path, this.url);
    const namespace = endpoint.namespace ?? 'urn:vim25';
    return {
      url,
      invoke: <T = unknown>(method: string, self: ManagedObjectReference, args: SoapObject = {}, returns?: string) =>
        this.#call<T>(
          url,
          namespace,
          `${namespace}/${endpoint.version ?? this.version}`,
          true,
          method,
          self,
          args,
          returns,
        ),
    };
  }

  async #call<T>(
    url: URL,
    namespace: string,
    soapAction: string,
    sessionHeader: boolean,
    method: string,
    self: ManagedObjectReference,
    args: SoapObject,
    returns: string | undefined,
  ): Promise<T> {
    const sessionCookie = sessionHeader && this.cookie ? this.cookie.slice(this.cookie.indexOf('=') + 1) : undefined;
    const body = envelope(method, self, args, { namespace, sessionCookie });
    const text = await this.#post(url, soapAction, method, body);
    let doc: ReturnType<typeof parseXml>;
    try {
      doc = parseXml(text);
    } catch (err) {
      throw new VkError(`unexpected answer to ${method} from ${this.hostPort}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    const envKey = Object.keys(doc).find((k) => localName(k) === 'Envelope');
    const env = envKey ? doc[envKey]![0] : undefined;
    const soapBody = children(env, 'Body')[0];
    const fault = children(soapBody, 'Fault')[0];
    if (fault) {
      const { fault: f, message } = parseSoapFault(fault);
      throw faultError(method, f, message);
    }
    const response = children(soapBody, `${method}Response`)[0];
    if (response === undefined) {
      throw new VkError(`unexpected answer to ${method} from ${this.hostPort}: no ${method}Response`);
    }
    return decodeField(children(response, 'returnval'), returns) as T;
  }

  /**
   * One SOAP POST: the answer's text, or an HttpError for an HTTP status
   * that carries no SOAP fault.
   */
  async #post(url: URL, soapAction: string, method: string, body: string): Promise<string> {
    const headers = { 'content-type': 'text/xml; charset=utf-8', soapaction: soapAction };
    const { status, text } = await this.#send(url, { method: 'POST', headers, body }, method);
    if (status !== 200 && !(status === 500 && text.includes('Fault>'))) {
      const { STATUS_CODES } = await import('node:http');
      throw new HttpError(
        `vCenter at ${this.hostPort} answered ${method} with HTTP ${status} ${STATUS_CODES[status] ?? ''}`.trimEnd(),
        {
          status,
          method,
          hint:
            status === 404 ? `check the URL path (${this.url.pathname}); vCenter's SDK endpoint is /sdk` : undefined,
        },
      );
    }
    return text;
  }

  /**
   * One JSON request to the REST API beside the SDK (vAPI, e.g.
   * `/rest/com/vmware/cis/tagging/tag`), with this client's TLS policy,
   * timeout, signal and request count. Answers the HTTP status and the
   * parsed body (undefined when empty); the caller owns the status.
   */
  async rest<T = unknown>(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    path: string,
    opts: { body?: unknown; headers?: Record<string, string>; what: string },
  ): Promise<{ status: number; body: T | undefined }> {
    const url = new URL(path, this.url);
    const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
    let body: string | undefined;
    if (opts.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(opts.body);
    }
    const { status, text } = await this.#send(url, { method, headers, body }, opts.what);
    let parsed: T | undefined;
    if (text.trim() !== '') {
      try {
        parsed = JSON.parse(text) as T;
      } catch {
        throw new VkError(`vCenter at ${this.hostPort} answered ${opts.what} with HTTP ${status} and no JSON`, {
          hint: `check that ${url.origin} is a vCenter Server`,
        });
      }
    }
    return { status, body: parsed };
  }

  /**
   * One request through undici's `request` (not `fetch`: the WHATWG Request,
   * Headers and stream wrappers cost more per call than the SOAP work itself
   * when a step sends a thousand small requests). The deadline is one timer
   * and one AbortController per request, tied to the process's signal.
   */
  async #send(
    url: URL,
    req: { method: string; headers: Record<string, string>; body?: string },
    what: string,
  ): Promise<{ status: number; text: string }> {
    undici ??= await import('undici');
    const headers: Record<string, string> = { ...req.headers, 'user-agent': 'vk' };
    if (this.cookie) headers.cookie = this.cookie;
    const abort = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      abort.abort();
    }, this.timeoutMs);
    const interrupted = () => abort.abort();
    const processSignal = this.#signal;
    if (processSignal?.aborted) abort.abort();
    else processSignal?.addEventListener('abort', interrupted, { once: true });
    const started = performance.now();
    this.requestCount++;
    let status = 0;
    try {
      const res = await undici.request(url, {
        method: req.method as Undici.Dispatcher.HttpMethod,
        headers,
        body: req.body,
        signal: abort.signal,
        dispatcher: this.#agent,
      });
      status = res.statusCode;
      const session = sessionCookie(res.headers['set-cookie']);
      if (session) this.cookie = session;
      return { status, text: await res.body.text() };
    } catch (err) {
      throw this.#transportError(err, what, timedOut);
    } finally {
      clearTimeout(timer);
      processSignal?.removeEventListener('abort', interrupted);
      this.#log.debug(() => `${what} ${status || 'failed'} ${Math.round(performance.now() - started)}ms`);
    }
  }

  #transportError(err: unknown, method: string, timedOut: boolean): Error {
    if (err instanceof VkError) return err;
    if (this.#signal?.aborted) return new InterruptedError();
    if (timedOut) {
      return new ConnectionError(
        `vCenter at ${this.hostPort} did not answer ${method} within ${this.timeoutMs / 1000}s`,
        { hint: 'check that the URL is reachable, or raise --request-timeout', cause: err, code: 'ETIMEDOUT' },
      );
    }
    let cause: unknown = err;
    while (cause instanceof Error && cause.cause !== undefined && !(cause instanceof VkError)) {
      if ((cause as NodeJS.ErrnoException).code) break;
      cause = cause.cause;
    }
    if (cause instanceof VkError) return cause;
    const code = (cause as NodeJS.ErrnoException | undefined)?.code ?? '';
    const what: Record<string, string> = {
      ECONNREFUSED: 'connection refused',
      ENOTFOUND: 'host name not found',
      EAI_AGAIN: 'host name lookup failed',
      EHOSTUNREACH: 'host unreachable',
      ENETUNREACH: 'network unreachable',
      ECONNRESET: 'connection reset by the server',
      UND_ERR_CONNECT_TIMEOUT: `no answer within ${this.timeoutMs / 1000}s`,
      UND_ERR_SOCKET: 'connection closed by the server',
      ERR_SSL_WRONG_VERSION_NUMBER: 'TLS handshake failed (is the server speaking plain http?)',
      EPROTO: 'TLS handshake failed',
    };
    const reason = what[code] ?? ((cause as Error | undefined)?.message || String(cause));
    return new ConnectionError(`cannot connect to vCenter at ${this.url.origin}: ${reason}`, {
      hint: code === 'ERR_SSL_WRONG_VERSION_NUMBER' ? 'use an http:// URL if the server has no TLS' : undefined,
      cause: err,
      code: code || undefined,
    });
  }

  /**
   * Stops following the process's AbortSignal, so cleanup (Logout) still
   * runs after Ctrl-C; each request keeps its own timeout.
   */
  detachSignal(): void {
    this.#signal = undefined;
  }

  /** Closes idle connections. */
  async close(): Promise<void> {
    await this.#agent.close().catch(() => undefined);
  }
}

/** The vmware_soap_session cookie (name=value) among Set-Cookie headers, if any. */
function sessionCookie(setCookie: string | string[] | undefined): string | undefined {
  const all = setCookie === undefined ? [] : Array.isArray(setCookie) ? setCookie : [setCookie];
  for (const c of all) {
    const pair = c.split(';')[0]!.trim();
    if (pair.startsWith('vmware_soap_session=')) return pair;
  }
  return undefined;
}

function hostPortOf(url: URL): string {
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return `${url.hostname}:${port}`;
}
