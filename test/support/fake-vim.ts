// A scripted vim25 endpoint for unit tests: a local HTTP server that answers
// each SOAP method from a handler, so the real VimClient (transport, XML,
// decoding) talks to it. For what vcsim cannot be made to do: purge a task,
// drop an update, refuse to show one property.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { silentLogger } from '../../src/lib/cli/logger.js';
import { VimClient } from '../../src/lib/vsphere/soap/client.js';

/** The XML inside <returnval> (or a whole <soapenv:Fault>), or undefined for a void answer. */
export type FakeAnswer = string | undefined | { fault: string; message?: string };

export type FakeHandler = (request: string, call: number) => FakeAnswer | Promise<FakeAnswer>;

export interface FakeVim {
  client: VimClient;
  /** Methods in the order they were called. */
  calls: string[];
  close(): Promise<void>;
}

const ns = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema"';

/** A MoRef element: `ref('returnval', 'Task', 'task-1')`. */
export const ref = (tag: string, type: string, value: string) => `<${tag} type="${type}">${value}</${tag}>`;

/** Starts the server; methods without a handler answer with an empty response. */
export async function startFakeVim(
  handlers: Record<string, FakeHandler>,
  opts: { timeoutMs?: number } = {},
): Promise<FakeVim> {
  const calls: string[] = [];
  const counts = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d: string) => (body += d));
    req.on('end', async () => {
      const method = /<soapenv:Body><([A-Za-z_]+)[ >]/.exec(body)?.[1] ?? 'unknown';
      calls.push(method);
      const n = (counts.get(method) ?? 0) + 1;
      counts.set(method, n);
      const answer = await handlers[method]?.(body, n);
      res.setHeader('content-type', 'text/xml; charset=utf-8');
      if (answer !== undefined && typeof answer === 'object') {
        res.statusCode = 500;
        res.end(
          `<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" ${ns}>` +
            `<soapenv:Body><soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>${answer.message ?? ''}</faultstring>` +
            `<detail>${answer.fault}</detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>`,
        );
        return;
      }
      res.end(
        `<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" ${ns}>` +
          `<soapenv:Body><${method}Response xmlns="urn:vim25">${answer === undefined ? '' : `<returnval>${answer}</returnval>`}` +
          `</${method}Response></soapenv:Body></soapenv:Envelope>`,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const client = await VimClient.create({
    url: new URL(`http://127.0.0.1:${port}/sdk`),
    tls: { insecure: true },
    timeoutMs: opts.timeoutMs ?? 10_000,
    log: silentLogger,
  });
  client.serviceContent = {
    rootFolder: { type: 'Folder', value: 'group-d1' },
    propertyCollector: { type: 'PropertyCollector', value: 'propertyCollector' },
    viewManager: { type: 'ViewManager', value: 'ViewManager' },
    about: {
      name: 'VMware vCenter Server',
      fullName: 'fake vim25 endpoint',
      vendor: 'vk tests',
      version: '8.0.3',
      build: '0',
      apiType: 'VirtualCenter',
      apiVersion: '8.0.3.0',
    },
  };
  return {
    client,
    calls,
    close: async () => {
      await client.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
