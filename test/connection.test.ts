// Connecting to vCenter as a user would: TLS verification and pinning,
// wrong credentials, unreachable and silent servers, missing settings.
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runVk, type VkResult } from './support/run-vk.js';
import { startVcsim, type Vcsim } from './support/vcsim.js';

let sim: Vcsim;
beforeAll(async () => {
  sim = await startVcsim({ tls: true });
});
afterAll(async () => {
  await sim?.stop();
});

const creds = () => ({ GOVC_USERNAME: sim.username, GOVC_PASSWORD: sim.password });

function expectOneLineError(r: VkResult): void {
  expect(r.stdout).toBe('');
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: /);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe('TLS', () => {
  it('refuses a self-signed certificate by default and shows the thumbprint and the flag to pin it', async () => {
    const r = await runVk(['about', '--url', sim.url], creds());
    expect(r.code).toBe(1);
    expectOneLineError(r);
    expect(r.stderr).toContain(`SHA-256 thumbprint ${sim.thumbprint}`);
    expect(r.stderr).toContain(`--thumbprint ${sim.thumbprint}`);
    expect(r.stderr).toContain('--insecure');
  });

  it('connects with the pinned SHA-256 thumbprint, in any case and without colons', async () => {
    const pinned = sim.thumbprint.replaceAll(':', '').toLowerCase();
    const r = await runVk(['about', '--url', sim.url, '--thumbprint', pinned, '-o', 'json'], creds());
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).user).toBe(sim.username);
  });

  it('connects with a pinned SHA-1 thumbprint from VK_THUMBPRINT', async () => {
    const r = await runVk(['about', '--url', sim.url, '-o', 'json'], {
      ...creds(),
      VK_THUMBPRINT: sim.thumbprintSha1,
    });
    expect(r.code).toBe(0);
  });

  it('refuses a certificate that does not match the pinned thumbprint', async () => {
    const wrong = 'AB:'.repeat(31) + 'CD';
    const r = await runVk(['about', '--url', sim.url, '--thumbprint', wrong], creds());
    expect(r.code).toBe(1);
    expectOneLineError(r);
    expect(r.stderr).toContain('does not match --thumbprint');
    expect(r.stderr).toContain(sim.thumbprint);
  });

  it('trusts the certificate with --ca-file and with GOVC_TLS_CA_CERTS', async () => {
    const flag = await runVk(['about', '--url', sim.url, '--ca-file', sim.caFile!], creds());
    expect(flag.stderr).toBe('');
    expect(flag.code).toBe(0);
    const env = await runVk(['about', '--url', sim.url], { ...creds(), GOVC_TLS_CA_CERTS: sim.caFile! });
    expect(env.code).toBe(0);
  });

  it('skips verification only with an explicit --insecure or GOVC_INSECURE=1', async () => {
    expect((await runVk(['about', '--url', sim.url, '--insecure'], creds())).code).toBe(0);
    expect((await runVk(['about', '--url', sim.url], { ...creds(), GOVC_INSECURE: '1' })).code).toBe(0);
  });
});

describe('credentials', () => {
  it('a wrong password is one line naming host, user and the flags, without the password', async () => {
    const password = `Wr0ng<&>"'pw`;
    const r = await runVk([
      'about',
      '--url',
      sim.url,
      '--insecure',
      '--username',
      sim.username,
      '--password',
      password,
    ]);
    expect(r.code).toBe(1);
    expectOneLineError(r);
    expect(r.stderr).toContain(`cannot log in to 127.0.0.1 as ${sim.username}: incorrect user name or password`);
    expect(r.stderr).toMatch(/--username\/--password/);
    expect(r.stderr).toContain('GOVC_');
    expect(r.stdout + r.stderr).not.toContain(password);
  });

  it('takes user and password from the URL like govc, and never echoes them in --debug', async () => {
    const u = new URL(sim.url);
    u.username = encodeURIComponent(sim.username);
    u.password = encodeURIComponent(sim.password);
    const r = await runVk(['about', '--url', u.href, '--insecure', '--debug', '-o', 'json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('debug: Login');
    expect(r.stderr).not.toContain(sim.password);
    expect(r.stderr).not.toMatch(/vmware_soap_session/);
  });

  it('a missing URL is a usage error naming --url and GOVC_URL', async () => {
    const r = await runVk(['about'], creds());
    expect(r.code).toBe(2);
    expectOneLineError(r);
    expect(r.stderr).toContain('--url');
    expect(r.stderr).toContain('GOVC_URL');
  });
});

describe('unreachable servers', () => {
  it('a closed port fails at once with "connection refused"', async () => {
    const port = await closedPort();
    const r = await runVk(['about', '--url', `https://127.0.0.1:${port}/sdk`], creds());
    expect(r.code).toBe(1);
    expectOneLineError(r);
    expect(r.stderr).toContain(`cannot connect to vCenter at https://127.0.0.1:${port}: connection refused`);
    expect(r.ms).toBeLessThan(10_000);
  });

  it('a server that never answers fails after --request-timeout', async () => {
    const silent = await silentServer();
    const port = (silent.address() as { port: number }).port;
    try {
      const r = await runVk(['about', '--url', `http://127.0.0.1:${port}/sdk`, '--request-timeout', '1'], creds());
      expect(r.code).toBe(1);
      expectOneLineError(r);
      expect(r.stderr).toContain(`vCenter at 127.0.0.1:${port} did not answer RetrieveServiceContent within 1s`);
      expect(r.stderr).toContain('--request-timeout');
      expect(r.ms).toBeLessThan(10_000);
    } finally {
      silent.close();
    }
  });
});

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Accepts connections and never answers. */
function silentServer(): Promise<Server> {
  return new Promise((resolve) => {
    const s = createServer(() => {});
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
}
