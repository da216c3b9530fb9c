// Kubernetes API failures translated once, here, into one-line VkErrors:
// Status bodies (401/403/404/409/422…), connection and TLS failures naming the
// server URL. Callers branch on `status`/`reason`, never on message text.

import { VkError, type VkErrorOptions } from '../core/errors.js';

/** The Status object the API server returns with a failed request. */
export interface KubeStatus {
  kind?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    causes?: Array<{ reason?: string; message?: string; field?: string }>;
  };
}

export class KubeApiError extends VkError {
  /** HTTP status code; 0 when no response was received. */
  readonly status: number;
  /** The Status reason (NotFound, AlreadyExists, Conflict, Invalid, …). */
  readonly reason?: string;

  constructor(message: string, status: number, reason: string | undefined, options: VkErrorOptions = {}) {
    super(message, options);
    this.name = 'KubeApiError';
    this.status = status;
    this.reason = reason;
  }
}

export const isNotFound = (err: unknown): boolean => err instanceof KubeApiError && err.status === 404;
/** A write lost an optimistic-concurrency race (resourceVersion changed). */
export const isConflict = (err: unknown): boolean =>
  err instanceof KubeApiError && err.status === 409 && err.reason === 'Conflict';

/** What the error translator needs to know about the request that failed. */
export interface RequestInfo {
  method: string;
  path: string;
  server: string;
  context: string;
  user?: string;
}

const KUBECONFIG_HINT = 'pass --kubeconfig/--context or set KUBECONFIG';

/** Translates an HTTP error response (status + body text) into a KubeApiError. */
export function errorFromResponse(status: number, body: string, req: RequestInfo): KubeApiError {
  const st = parseStatus(body);
  const message = st?.message?.trim();
  const reason = st?.reason ?? defaultReason(status);
  switch (status) {
    case 401:
      return new KubeApiError(
        `the server ${req.server} rejected the credentials of kubeconfig context "${req.context}" (401 Unauthorized)`,
        status,
        reason,
        {
          hint: `check the user's token or client certificate in the kubeconfig (it may have expired); ${KUBECONFIG_HINT}`,
        },
      );
    case 403: {
      const m = message ? /cannot (\S+) resource "([^"]+)"(?: in API group "([^"]*)")?/.exec(message) : null;
      const what = m ? `${m[1]} ${m[3] ? `${m[2]}.${m[3]}` : m[2]}` : `${req.method} ${req.path}`;
      return new KubeApiError(message ?? `forbidden: ${req.method} ${req.path}`, status, reason, {
        hint: `the kubeconfig user needs RBAC permission to ${what}`,
      });
    }
    case 404:
      return new KubeApiError(
        message ?? `the server could not find the requested resource (${req.method} ${req.path})`,
        status,
        reason,
      );
    case 409:
      if (reason === 'Conflict' && message?.startsWith('Apply failed')) {
        return new KubeApiError(oneLine(message), status, reason, {
          hint: 'another field manager owns these fields; re-run with --force-conflicts to take them over',
        });
      }
      return new KubeApiError(oneLine(message ?? `conflict (${req.method} ${req.path})`), status, reason);
    case 422:
      return new KubeApiError(invalidMessage(st, req), status, reason);
    default: {
      const text = message ?? (body.trim().slice(0, 200) || httpStatusText(status));
      return new KubeApiError(
        `${req.method} ${req.path}: ${status} ${httpStatusText(status)}: ${oneLine(text)}`,
        status,
        reason,
      );
    }
  }
}

/** 422 Invalid: "<Kind> "<name>" is invalid: field: message; field: message". */
function invalidMessage(st: KubeStatus | undefined, req: RequestInfo): string {
  const causes = st?.details?.causes ?? [];
  const d = st?.details;
  if (causes.length > 0 && d?.kind) {
    const kind = d.group ? `${d.kind}.${d.group}` : d.kind;
    const list = causes.map((c) => (c.field ? `${c.field}: ${c.message ?? c.reason ?? 'invalid'}` : (c.message ?? '')));
    return oneLine(`${kind} "${d.name ?? ''}" is invalid: ${list.join('; ')}`);
  }
  return oneLine(st?.message ?? `invalid request (${req.method} ${req.path})`);
}

/** Translates a failure to get any response at all (socket, DNS, TLS). */
export function errorFromNetwork(err: unknown, req: RequestInfo): KubeApiError {
  const e = err as NodeJS.ErrnoException;
  const code = e?.code ?? '';
  const where = `the Kubernetes API server at ${req.server}`;
  const ctxHint = `check the server address of kubeconfig context "${req.context}"; ${KUBECONFIG_HINT}`;
  if (code === 'ECONNREFUSED') {
    return new KubeApiError(`cannot connect to ${where}: connection refused`, 0, undefined, {
      hint: ctxHint,
      cause: err,
    });
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new KubeApiError(`cannot resolve the host of ${where}`, 0, undefined, { hint: ctxHint, cause: err });
  }
  if (code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || e?.name === 'TimeoutError') {
    return new KubeApiError(`no answer from ${where} (${req.method} ${req.path} timed out)`, 0, undefined, {
      hint: ctxHint,
      cause: err,
    });
  }
  if (code === 'ECONNRESET' || code === 'EPIPE') {
    return new KubeApiError(`${where} closed the connection (${req.method} ${req.path})`, 0, undefined, {
      cause: err,
    });
  }
  if (isTlsError(code)) {
    return new KubeApiError(`TLS error talking to ${where}: ${e.message} (${code})`, 0, undefined, {
      hint: `check certificate-authority(-data) of the cluster in kubeconfig context "${req.context}"`,
      cause: err,
    });
  }
  return new KubeApiError(`cannot reach ${where}: ${e?.message ?? String(err)}`, 0, undefined, { cause: err });
}

function isTlsError(code: string): boolean {
  return (
    code.startsWith('ERR_TLS') ||
    code.startsWith('ERR_SSL') ||
    /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|HOSTNAME|DEPTH_ZERO/.test(code)
  );
}

export function parseStatus(body: string): KubeStatus | undefined {
  if (!body) return undefined;
  try {
    const v = JSON.parse(body) as KubeStatus;
    return v && typeof v === 'object' && (v.kind === 'Status' || v.message !== undefined) ? v : undefined;
  } catch {
    return undefined;
  }
}

function defaultReason(status: number): string | undefined {
  return (
    {
      401: 'Unauthorized',
      403: 'Forbidden',
      404: 'NotFound',
      409: 'Conflict',
      410: 'Expired',
      422: 'Invalid',
      429: 'TooManyRequests',
    } as Record<number, string>
  )[status];
}

function httpStatusText(status: number): string {
  return (
    (
      {
        400: 'Bad Request',
        405: 'Method Not Allowed',
        406: 'Not Acceptable',
        410: 'Gone',
        415: 'Unsupported Media Type',
        429: 'Too Many Requests',
        500: 'Internal Server Error',
        502: 'Bad Gateway',
        503: 'Service Unavailable',
        504: 'Gateway Timeout',
      } as Record<number, string>
    )[status] ?? 'error'
  );
}

const oneLine = (s: string) => s.replace(/\s*\n\s*/g, ' ').trim();
