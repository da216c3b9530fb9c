// The vim25 transport's HTTP-level failures are typed: a status without a
// SOAP fault is an HttpError carrying the status, a connection that fails is
// a ConnectionError carrying Node's or undici's code; callers check those,
// not the message. And more concurrent requests than the connection pool
// holds wait for a connection instead of failing.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../src/lib/cli/logger.js';
import { VimClient } from '../src/lib/vsphere/soap/client.js';
import { CnsUnavailableError, queryCnsVolume } from '../src/lib/vsphere/cns.js';
import type { VsphereSession } from '../src/lib/vsphere/connect.js';
import { ConnectionError, HttpError, VimFault } from '../src/lib/vsphere/soap/faults.js';
import { MAX_CONNECTIONS } from '../src/lib/vsphere/soap/limits.js';

const SERVICE_INSTANCE = { type: 'ServiceInstance', value: 'ServiceInstance' };

let server: Server | undefined;
let client: VimClient | undefined;
afterEach(async () => {
  await client?.close();
  client = undefined;
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<number> {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => handler(req, res));
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function clientFor(port: number, timeoutMs = 10_000): Promise<VimClient> {
  client = await VimClient.create({
    url: new URL(`http://127.0.0.1:${port}/sdk`),
    tls: { insecure: false },
    timeoutMs,
    log: silentLogger,
  });
  return client;
}

const status =
  (code: number, body = '') =>
  (_req: IncomingMessage, res: ServerResponse) => {
    res.statusCode = code;
    res.end(body);
  };

describe('HTTP errors', () => {
  it('a 503 without a SOAP fault is an HttpError with the status, and the same message as before', async () => {
    const port = await serve(status(503, 'upstream connect error'));
    const c = await clientFor(port);
    const err = await c.invoke('RetrieveServiceContent', SERVICE_INSTANCE).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect(err).toMatchObject({ status: 503, method: 'RetrieveServiceContent' });
    expect((err as HttpError).message).toBe(
      `vCenter at 127.0.0.1:${port} answered RetrieveServiceContent with HTTP 503 Service Unavailable`,
    );
  });

  it('a 404 names the SDK path in its hint; a 401 is an HttpError too', async () => {
    let code = 404;
    const port = await serve((req, res) => status(code)(req, res));
    const c = await clientFor(port);
    const notFound = await c.invoke('RetrieveServiceContent', SERVICE_INSTANCE).catch((e: unknown) => e);
    expect(notFound).toMatchObject({ status: 404 });
    expect((notFound as HttpError).hint).toBe("check the URL path (/sdk); vCenter's SDK endpoint is /sdk");
    code = 401;
    const denied = await c.invoke('Login', SERVICE_INSTANCE).catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(HttpError);
    expect(denied).toMatchObject({ status: 401, method: 'Login' });
  });

  it('a 500 carrying a SOAP fault is a VimFault, not an HttpError', async () => {
    const port = await serve(
      status(
        500,
        '<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" ' +
          'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault>' +
          '<faultcode>ServerFaultCode</faultcode><faultstring>no</faultstring><detail>' +
          '<InvalidLoginFault xsi:type="InvalidLogin"/></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>',
      ),
    );
    const err = await (await clientFor(port)).invoke('Login', SERVICE_INSTANCE).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VimFault);
    expect(err).not.toBeInstanceOf(HttpError);
  });

  it('CNS answered with 404 is "no CNS API", by the status, whatever the message says', async () => {
    const port = await serve(status(404));
    const c = await clientFor(port);
    const session = { client: c } as unknown as VsphereSession;
    const err = await queryCnsVolume(session, 'vol-1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CnsUnavailableError);
    expect((err as Error).cause).toBeInstanceOf(HttpError);
  });

  it('CNS answered with 500 and no fault is not taken for a missing API', async () => {
    const port = await serve(status(500, 'oops'));
    const session = { client: await clientFor(port) } as unknown as VsphereSession;
    const err = await queryCnsVolume(session, 'vol-1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect(err).toMatchObject({ status: 500 });
  });
});

describe('connection errors', () => {
  it('a refused connection is a ConnectionError with code ECONNREFUSED', async () => {
    const port = await serve(status(200));
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;
    const err = await (await clientFor(port)).invoke('RetrieveServiceContent', SERVICE_INSTANCE).catch((e) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err).toMatchObject({ code: 'ECONNREFUSED' });
    expect((err as Error).message).toBe(`cannot connect to vCenter at http://127.0.0.1:${port}: connection refused`);
  });

  it('no answer within the request timeout is a ConnectionError with code ETIMEDOUT', async () => {
    const port = await serve(() => undefined);
    const err = await (await clientFor(port, 300)).invoke('RetrieveServiceContent', SERVICE_INSTANCE).catch((e) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err).toMatchObject({ code: 'ETIMEDOUT' });
    expect((err as Error).message).toBe(
      `vCenter at 127.0.0.1:${port} did not answer RetrieveServiceContent within 0.3s`,
    );
  });
});

describe('the connection pool', () => {
  it(`queues requests beyond ${MAX_CONNECTIONS} connections instead of failing them`, async () => {
    const sockets = new Set<unknown>();
    let open = 0;
    let mostOpen = 0;
    const port = await serve((req, res) => {
      sockets.add(req.socket);
      open++;
      mostOpen = Math.max(mostOpen, open);
      setTimeout(() => {
        open--;
        res.setHeader('content-type', 'application/json');
        res.end('{"ok":true}');
      }, 40);
    });
    const c = await clientFor(port);
    // prepare-vms --concurrency allows 64 requests in flight.
    const answers = await Promise.all(
      Array.from({ length: 64 }, () => c.rest<{ ok: boolean }>('GET', '/rest/x', { what: 'a test request' })),
    );
    expect(answers.every((a) => a.status === 200 && a.body?.ok === true)).toBe(true);
    // At most the pool's connections, and more than one: requests did run side by side.
    expect(mostOpen).toBeLessThanOrEqual(MAX_CONNECTIONS);
    expect(mostOpen).toBeGreaterThan(1);
    expect(sockets.size).toBeLessThanOrEqual(MAX_CONNECTIONS);
  });
});
