// The box's certificates, made with the openssl command line the way kubeadm
// lays them out: one cluster CA, the apiserver's serving certificate, one
// client certificate per component (its CN and O are the user and group RBAC
// sees), and the service-account signing key pair.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

export interface ClientIdentity {
  /** File stem under the PKI directory, e.g. `admin` → admin.crt/admin.key. */
  name: string;
  /** The user name RBAC sees. */
  cn: string;
  /** Groups (certificate O fields). */
  groups?: string[];
}

export interface Pki {
  dir: string;
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  saKey: string;
  saPub: string;
  /** `client(name)` → paths of that identity's certificate and key. */
  client(name: string): { cert: string; key: string };
}

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await execFileP('openssl', args, { cwd });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`openssl ${args[0]} failed: ${(e.stderr || e.message).trim()}`);
  }
}

async function key(cwd: string, file: string): Promise<void> {
  await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', file], cwd);
}

async function signed(cwd: string, stem: string, subject: string, ext: string): Promise<void> {
  await key(cwd, `${stem}.key`);
  await openssl(['req', '-new', '-key', `${stem}.key`, '-subj', subject, '-out', `${stem}.csr`], cwd);
  writeFileSync(join(cwd, `${stem}.ext`), ext);
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      `${stem}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      // A random serial per certificate: a shared ca.srl races between parallel signings.
      '-set_serial',
      `0x${randomBytes(16).toString('hex')}`,
      '-days',
      '30',
      '-sha256',
      '-extfile',
      `${stem}.ext`,
      '-out',
      `${stem}.crt`,
    ],
    cwd,
  );
}

const CLIENT_EXT = [
  'basicConstraints=CA:FALSE',
  'keyUsage=critical,digitalSignature,keyEncipherment',
  'extendedKeyUsage=clientAuth',
].join('\n');

/** Signs a client certificate for one identity with the CA in `dir`. */
export async function issueClient(dir: string, c: ClientIdentity): Promise<{ cert: string; key: string }> {
  await signed(dir, c.name, `${(c.groups ?? []).map((g) => `/O=${g}`).join('')}/CN=${c.cn}`, CLIENT_EXT);
  return { cert: join(dir, `${c.name}.crt`), key: join(dir, `${c.name}.key`) };
}

/** Writes a fresh PKI into `dir` (made if missing) for these client identities. */
export async function makePki(dir: string, clients: ClientIdentity[]): Promise<Pki> {
  mkdirSync(dir, { recursive: true });
  if (!existsSync(join(dir, 'ca.crt'))) {
    await key(dir, 'ca.key');
    await openssl(
      ['req', '-x509', '-new', '-key', 'ca.key', '-subj', '/CN=vk-box-ca', '-days', '30', '-sha256', '-out', 'ca.crt'],
      dir,
    );
  }
  const serverExt = [
    'basicConstraints=CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=serverAuth',
    // 10.96.0.1 is the first address of the service range: the `kubernetes` Service.
    'subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local',
  ].join('\n');
  // Each certificate is independent of the others; openssl runs them side by side.
  await Promise.all([
    signed(dir, 'apiserver', '/CN=kube-apiserver', serverExt),
    ...clients.map((c) => issueClient(dir, c)),
    (async () => {
      await openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'sa.key'], dir);
      await openssl(['pkey', '-in', 'sa.key', '-pubout', '-out', 'sa.pub'], dir);
    })(),
  ]);
  return {
    dir,
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    serverCert: join(dir, 'apiserver.crt'),
    serverKey: join(dir, 'apiserver.key'),
    saKey: join(dir, 'sa.key'),
    saPub: join(dir, 'sa.pub'),
    client: (name) => ({ cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) }),
  };
}
