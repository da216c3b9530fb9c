// A throwaway CA and a server certificate for 127.0.0.1/localhost, made with
// the openssl CLI once per process. HTTPS is how clients reach real clusters:
// client-go sends bearer tokens only over TLS, and client-node refuses plain
// HTTP unless TLS verification is switched off.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ServerTls {
  caPem: string;
  certPem: string;
  keyPem: string;
}

let cached: ServerTls | undefined;

export function serverTls(): ServerTls {
  if (cached) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'vk-kube-tls-'));
  const f = (name: string): string => join(dir, name);
  const openssl = (...args: string[]): void => {
    execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  };
  try {
    openssl(
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '3650',
      '-subj',
      '/CN=kube-test-ca',
      '-keyout',
      f('ca.key'),
      '-out',
      f('ca.crt'),
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    );
    openssl(
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-subj',
      '/CN=kube-apiserver',
      '-keyout',
      f('server.key'),
      '-out',
      f('server.csr'),
    );
    writeFileSync(
      f('ext.cnf'),
      'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n',
    );
    openssl(
      'x509',
      '-req',
      '-in',
      f('server.csr'),
      '-CA',
      f('ca.crt'),
      '-CAkey',
      f('ca.key'),
      '-CAcreateserial',
      '-days',
      '3650',
      '-extfile',
      f('ext.cnf'),
      '-out',
      f('server.crt'),
    );
    cached = {
      caPem: readFileSync(f('ca.crt'), 'utf8'),
      certPem: readFileSync(f('server.crt'), 'utf8'),
      keyPem: readFileSync(f('server.key'), 'utf8'),
    };
    return cached;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
