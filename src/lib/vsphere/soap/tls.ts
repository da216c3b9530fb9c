// TLS for the vCenter connection, per client (nothing process-wide):
// verify by default, trust extra CAs with --ca-file, pin a certificate by
// thumbprint, or skip verification only with an explicit --insecure. When
// verification fails, the error carries the server's SHA-256 thumbprint and
// the exact flag that pins it.

import { X509Certificate } from 'node:crypto';
import { rootCertificates, type TLSSocket } from 'node:tls';
import { UsageError } from '../../core/errors.js';
import { ConnectionError, TlsVerificationError } from './faults.js';
import { MAX_CONNECTIONS } from './limits.js';
import type { Agent } from 'undici';

export interface Thumbprint {
  algorithm: 'sha256' | 'sha1';
  /** Upper-case hex bytes separated by colons, as Node's `fingerprint256`. */
  value: string;
}

export interface TlsSettings {
  insecure: boolean;
  /** PEM text of CA certificates trusted in addition to the system's. */
  caPem?: string;
  thumbprint?: Thumbprint;
}

/** Accepts SHA-256 or SHA-1 thumbprints, colon-separated or not, any case. */
export function parseThumbprint(input: string): Thumbprint {
  const hex = input.replace(/^(sha-?256|sha-?1)[:=]/i, '').replace(/[:\s-]/g, '');
  if (!/^[0-9a-fA-F]+$/.test(hex) || (hex.length !== 64 && hex.length !== 40)) {
    throw new UsageError(`invalid --thumbprint "${input}"`, {
      hint: 'expected a SHA-256 (32 bytes) or SHA-1 (20 bytes) fingerprint in hex, e.g. AA:BB:…',
    });
  }
  return { algorithm: hex.length === 64 ? 'sha256' : 'sha1', value: formatHex(hex) };
}

export function formatHex(hex: string): string {
  return (hex.toUpperCase().match(/../g) ?? []).join(':');
}

/** Checks that a --ca-file holds at least one PEM certificate; returns its text. */
export function checkCaPem(pem: string, file: string): string {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
  if (!blocks) throw new UsageError(`--ca-file ${file} contains no PEM certificate`);
  for (const b of blocks) {
    try {
      new X509Certificate(b);
    } catch {
      throw new UsageError(`--ca-file ${file} contains a certificate that cannot be parsed`);
    }
  }
  return pem;
}

const reasons: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'x509: self-signed certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'x509: self-signed certificate in the chain',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'x509: certificate signed by unknown authority',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'x509: certificate signed by unknown authority',
  UNABLE_TO_GET_ISSUER_CERT: 'x509: certificate signed by unknown authority',
  CERT_HAS_EXPIRED: 'x509: certificate has expired',
  CERT_NOT_YET_VALID: 'x509: certificate is not yet valid',
  ERR_TLS_CERT_ALTNAME_INVALID: 'x509: certificate is not valid for this host name',
};

/**
 * Checks a freshly connected socket against the settings: a verified chain
 * (or --insecure) passes; a pinned thumbprint must match whatever the chain
 * says. Returns the error to fail the connection with, if any.
 */
export function checkPeer(socket: TLSSocket, hostPort: string, tls: TlsSettings): Error | undefined {
  const cert = socket.getPeerCertificate();
  const sha256 = cert?.fingerprint256 ?? '';
  if (tls.thumbprint) {
    const actual = tls.thumbprint.algorithm === 'sha256' ? sha256 : (cert?.fingerprint ?? '');
    if (actual.toUpperCase() === tls.thumbprint.value) return undefined;
    return new TlsVerificationError(
      `TLS certificate of ${hostPort} does not match --thumbprint (server's SHA-256 thumbprint ${sha256})`,
      sha256,
      { hint: `if the certificate was replaced on purpose, pass --thumbprint ${sha256}`, code: 'THUMBPRINT_MISMATCH' },
    );
  }
  if (socket.authorized || tls.insecure) return undefined;
  const code = String(socket.authorizationError ?? 'UNKNOWN');
  const reason = reasons[code] ?? `x509: ${code}`;
  return new TlsVerificationError(`${reason} for ${hostPort} (SHA-256 thumbprint ${sha256})`, sha256, {
    hint: `to trust it pass --thumbprint ${sha256} (or VK_THUMBPRINT), or its CA with --ca-file, or --insecure`,
    code,
  });
}

/** An undici Agent for one vCenter: its own TLS policy and timeouts. */
export async function createAgent(tls: TlsSettings, timeoutMs: number, hostPort: string): Promise<Agent> {
  const { Agent, buildConnector } = await import('undici');
  // Certificates are checked in checkPeer() so that a failure can report
  // the thumbprint; no request is written before the callback accepts.
  const base = buildConnector({
    rejectUnauthorized: false,
    // No TLS session resumption: a resumed session carries no peer certificate,
    // so a second concurrent connection would fail the thumbprint check.
    maxCachedSessions: 0,
    ca: tls.caPem ? [...rootCertificates, tls.caPem] : undefined,
    timeout: timeoutMs,
  });
  return new Agent({
    connect: (options, callback) =>
      base(options, (err, socket) => {
        if (err || !socket) return callback(err ?? new ConnectionError('connection failed'), null);
        if (options.protocol === 'https:') {
          const failure = checkPeer(socket as TLSSocket, hostPort, tls);
          if (failure) {
            socket.destroy();
            return callback(failure, null);
          }
        }
        callback(null, socket);
      }),
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    keepAliveTimeout: 10_000,
    // Requests beyond MAX_CONNECTIONS queue in the pool (see limits.ts).
    connections: MAX_CONNECTIONS,
  });
}

/**
 * What a TLS server presents, read without verifying it (one handshake, no
 * request): the leaf's SHA-256 and SHA-1 thumbprints — what a driver that
 * pins a thumbprint compares against — and the presented chain as PEM, leaf
 * first, as a driver's TLS client receives it.
 */
export async function serverCertificates(
  host: string,
  port: number,
  timeoutMs: number,
): Promise<{ sha256: string; sha1: string; chain: string[] }> {
  const { connect } = await import('node:tls');
  return new Promise((resolve, reject) => {
    const socket = connect({
      host,
      port,
      servername: /^[\d.:]+$/.test(host) ? undefined : host,
      rejectUnauthorized: false,
    });
    socket.setTimeout(timeoutMs, () =>
      socket.destroy(new ConnectionError(`TLS handshake with ${host}:${port} timed out`)),
    );
    socket.once('secureConnect', () => {
      const chain: string[] = [];
      const seen = new Set<string>();
      for (let c = socket.getPeerCertificate(true); c?.raw && !seen.has(c.fingerprint256); c = c.issuerCertificate) {
        seen.add(c.fingerprint256);
        chain.push(new X509Certificate(c.raw).toString());
      }
      socket.end();
      const leaf = chain[0] && new X509Certificate(chain[0]);
      if (!leaf) reject(new ConnectionError(`${host}:${port} presented no certificate`));
      else resolve({ sha256: leaf.fingerprint256.toUpperCase(), sha1: leaf.fingerprint.toUpperCase(), chain });
    });
    socket.once('error', reject);
  });
}

/** The PEM files of a --ca-file value (several joined with ':', like GOVC_TLS_CA_CERTS), each checked. */
export async function readCaFiles(caFiles: string): Promise<string[]> {
  const { readFile } = await import('node:fs/promises');
  const pems: string[] = [];
  for (const file of caFiles.split(':').filter(Boolean)) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read --ca-file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    pems.push(checkCaPem(text, file));
  }
  return pems;
}
