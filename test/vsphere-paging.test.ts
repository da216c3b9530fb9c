// RetrievePropertiesEx paging: vk follows ContinueRetrievePropertiesEx tokens
// until the last page. (The simulator never pages, so a tiny SOAP server
// plays vCenter here.)
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../src/lib/cli/logger.js';
import { VimClient } from '../src/lib/vsphere/soap/client.js';
import { retrieveContents, toRetrieved } from '../src/lib/vsphere/property-collector.js';

const envelope = (inner: string) =>
  '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" ' +
  'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema"><soapenv:Body>' +
  inner +
  '</soapenv:Body></soapenv:Envelope>';

const vm = (i: number) =>
  `<objects><obj type="VirtualMachine">vm-${i}</obj><propSet><name>name</name><val xsi:type="xsd:string">node &amp; ${i}</val></propSet></objects>`;

const requests: string[] = [];
let server: Server;
let url: URL;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const method = /<(\w+) xmlns="urn:vim25">/.exec(body)?.[1] ?? '';
      requests.push(
        method === 'ContinueRetrievePropertiesEx' ? `${method}:${/<token>(.*)<\/token>/.exec(body)?.[1]}` : method,
      );
      res.setHeader('content-type', 'text/xml; charset=utf-8');
      if (method === 'RetrieveServiceContent') {
        res.end(
          envelope(
            '<RetrieveServiceContentResponse xmlns="urn:vim25"><returnval><rootFolder type="Folder">group-d1</rootFolder>' +
              '<propertyCollector type="PropertyCollector">propertyCollector</propertyCollector><about><apiVersion>8.0.3.0</apiVersion></about>' +
              '</returnval></RetrieveServiceContentResponse>',
          ),
        );
      } else if (method === 'RetrievePropertiesEx') {
        res.end(
          envelope(
            `<RetrievePropertiesExResponse xmlns="urn:vim25"><returnval><token>t1</token>${vm(1)}${vm(2)}</returnval></RetrievePropertiesExResponse>`,
          ),
        );
      } else if (body.includes('<token>t1</token>')) {
        res.end(
          envelope(
            `<ContinueRetrievePropertiesExResponse xmlns="urn:vim25"><returnval><token>t2</token>${vm(3)}</returnval></ContinueRetrievePropertiesExResponse>`,
          ),
        );
      } else {
        res.end(
          envelope(
            `<ContinueRetrievePropertiesExResponse xmlns="urn:vim25"><returnval>${vm(4)}</returnval></ContinueRetrievePropertiesExResponse>`,
          ),
        );
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = new URL(`http://127.0.0.1:${(server.address() as { port: number }).port}/sdk`);
});

afterAll(() => {
  server.close();
});

describe('RetrievePropertiesEx paging', () => {
  it('returns every page and sends the server API version in SOAPAction', async () => {
    const client = await VimClient.create({ url, tls: { insecure: false }, timeoutMs: 5000, log: silentLogger });
    await client.retrieveServiceContent();
    expect(client.version).toBe('8.0.3.0');
    const contents = await retrieveContents(
      client,
      [
        {
          propSet: [{ type: 'VirtualMachine', pathSet: ['name'] }],
          objectSet: [{ obj: { type: 'Folder', value: 'group-d1' } }],
        },
      ],
      { maxObjects: 2 },
    );
    const names = contents.map((c) => toRetrieved<{ name: string }>(c).props.name);
    expect(names).toEqual(['node & 1', 'node & 2', 'node & 3', 'node & 4']);
    expect(requests).toEqual([
      'RetrieveServiceContent',
      'RetrievePropertiesEx',
      'ContinueRetrievePropertiesEx:t1',
      'ContinueRetrievePropertiesEx:t2',
    ]);
    expect(client.requestCount).toBe(4);
    await client.close();
  });
});
