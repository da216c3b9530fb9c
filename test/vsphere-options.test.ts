// Unit tests for connection options: govc-style URLs, flag/env precedence,
// thumbprints and session file names.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../src/lib/core/errors.js';
import { resolveVsphereOptions } from '../src/lib/vsphere/connect.js';
import { parseVcenterUrl, redactUserinfo, urlUserinfo } from '../src/lib/settings/vcenter-url.js';
import { chooseDatacenter, InventoryPaths, type DatacenterRef } from '../src/lib/vsphere/inventory.js';
import { sessionFile } from '../src/lib/vsphere/session.js';
import { parseThumbprint } from '../src/lib/vsphere/soap/tls.js';

describe('vCenter URL', () => {
  it.each([
    ['vc.example.com', 'https://vc.example.com/sdk'],
    ['vc.example.com:8443', 'https://vc.example.com:8443/sdk'],
    ['https://vc.example.com/', 'https://vc.example.com/sdk'],
    ['http://127.0.0.1:8989/sdk', 'http://127.0.0.1:8989/sdk'],
    ['https://vc/custom', 'https://vc/custom'],
  ])('%s → %s', (input, href) => {
    expect(parseVcenterUrl(input).url.href).toBe(href);
  });

  it('takes user and password out of the URL, decoded', () => {
    const p = parseVcenterUrl('https://administrator%40vsphere.local:p%40ss%3Aw@vc/sdk');
    expect(p).toMatchObject({ userName: 'administrator@vsphere.local', password: 'p@ss:w' });
    expect(p.url.href).toBe('https://vc/sdk');
  });

  it('reads the userinfo one way for the session, the redaction and the credentials', () => {
    // The last @ of the authority ends the userinfo, as in govc (Go's url.Parse).
    const raw = 'https://admin:p@ss:w@vc.example.com:8443/sdk';
    expect(parseVcenterUrl(raw)).toMatchObject({ userName: 'admin', password: 'p@ss:w', host: 'vc.example.com' });
    expect(parseVcenterUrl(raw).port).toBe(8443);
    expect(parseVcenterUrl(raw).url.href).toBe('https://vc.example.com:8443/sdk');
    expect(urlUserinfo(raw)).toEqual({ username: 'admin', password: 'p@ss:w' });
    expect(redactUserinfo(raw)).toBe('https://<redacted>@vc.example.com:8443/sdk');
    expect(redactUserinfo('vc.example.com')).toBe('vc.example.com');
    expect(() => parseVcenterUrl('https://admin:secret@')).toThrow(/^invalid vCenter URL "https:\/\/<redacted>@"/);
  });

  it('rejects other schemes', () => {
    expect(() => parseVcenterUrl('ftp://vc')).toThrow(UsageError);
  });
});

describe('option precedence', () => {
  it('flags win over VK_* which win over GOVC_*, which win over the URL user', async () => {
    const env = { GOVC_URL: 'u:urlpass@vc', GOVC_USERNAME: 'govc', VK_USERNAME: 'vk', GOVC_PASSWORD: 'gp' };
    const o = await resolveVsphereOptions({}, env);
    expect(o.userName).toBe('vk');
    expect(o.password.reveal()).toBe('gp');
    const f = await resolveVsphereOptions({ username: 'flag', url: 'other' }, env);
    expect(f.userName).toBe('flag');
    expect(f.url.host).toBe('other');
  });

  it('reads insecure, persistence, timeout and datacenter from the environment', async () => {
    const o = await resolveVsphereOptions(
      {},
      {
        GOVC_URL: 'u:p@vc',
        GOVC_INSECURE: '1',
        VK_PERSIST_SESSION: 'false',
        VK_REQUEST_TIMEOUT: '5',
        GOVC_DATACENTER: 'DC0',
      },
    );
    expect(o).toMatchObject({ persistSession: false, timeoutMs: 5000, datacenter: 'DC0' });
    expect(o.tls.insecure).toBe(true);
    const f = await resolveVsphereOptions(
      { insecure: false, 'persist-session': true },
      { GOVC_URL: 'u:p@vc', GOVC_INSECURE: 'true' },
    );
    expect(f.tls.insecure).toBe(false);
    expect(f.persistSession).toBe(true);
  });

  it('names the flag and variable when the URL or credentials are missing', async () => {
    await expect(resolveVsphereOptions({}, {})).rejects.toThrow(/no vCenter URL given/);
    await expect(resolveVsphereOptions({}, {})).rejects.toMatchObject({ hint: expect.stringContaining('GOVC_URL') });
    await expect(resolveVsphereOptions({ url: 'vc', username: 'u' }, {})).rejects.toMatchObject({
      hint: expect.stringContaining('--password'),
    });
  });

  it('checks that a --ca-file holds a certificate before connecting', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vk-ca-'));
    writeFileSync(join(dir, 'bad.pem'), 'not a certificate');
    await expect(resolveVsphereOptions({ url: 'u:p@vc', 'ca-file': join(dir, 'bad.pem') }, {})).rejects.toThrow(
      /contains no PEM certificate/,
    );
    await expect(resolveVsphereOptions({ url: 'u:p@vc', 'ca-file': join(dir, 'missing.pem') }, {})).rejects.toThrow(
      /cannot read --ca-file .*ENOENT/,
    );
  });
});

describe('thumbprints', () => {
  const sha256 = 'AB:'.repeat(31) + 'CD';
  it('accepts SHA-256 with or without colons, any case', () => {
    expect(parseThumbprint(sha256.toLowerCase())).toEqual({ algorithm: 'sha256', value: sha256 });
    expect(parseThumbprint(sha256.replaceAll(':', ''))).toEqual({ algorithm: 'sha256', value: sha256 });
  });
  it('accepts SHA-1', () => {
    expect(parseThumbprint('12:'.repeat(19) + '34').algorithm).toBe('sha1');
  });
  it('rejects anything else as a usage error', () => {
    expect(() => parseThumbprint('AB:CD')).toThrow(UsageError);
    expect(() => parseThumbprint('ZZ'.repeat(32))).toThrow(UsageError);
  });
});

describe('session files', () => {
  it('are per URL and user, named by a hash under $XDG_CONFIG_HOME/vk/sessions', () => {
    const env = { XDG_CONFIG_HOME: '/cfg' };
    const url = new URL('https://vc/sdk');
    const a = sessionFile(env, url, 'alice');
    expect(a).toMatch(/^\/cfg\/vk\/sessions\/[0-9a-f]{32}\.json$/);
    expect(a).not.toContain('alice');
    expect(sessionFile(env, url, 'bob')).not.toBe(a);
    expect(sessionFile(env, new URL('https://vc2/sdk'), 'alice')).not.toBe(a);
  });
});

describe('datacenter choice', () => {
  const dc = (path: string) =>
    ({ name: path.split('/').pop()!, path, ref: { type: 'Datacenter', value: path } }) as DatacenterRef;
  const all = [dc('/DC0'), dc('/Europe/DC1')];

  it('takes the only datacenter when none is named', () => {
    expect(chooseDatacenter([dc('/DC0')], undefined).path).toBe('/DC0');
  });
  it('finds one by name or inventory path', () => {
    expect(chooseDatacenter(all, 'DC1').path).toBe('/Europe/DC1');
    expect(chooseDatacenter(all, '/Europe/DC1/').path).toBe('/Europe/DC1');
  });
  it('lists the datacenters when the name is unknown or a choice is needed', () => {
    expect(() => chooseDatacenter(all, 'DC9')).toThrow('datacenter "DC9" not found; vCenter has: /DC0, /Europe/DC1');
    expect(() => chooseDatacenter(all, undefined)).toThrow(/vCenter has 2 datacenters \(\/DC0, \/Europe\/DC1\)/);
  });
});

describe('inventory paths', () => {
  it('are built from names and parents, below the root folder', () => {
    const root = { type: 'Folder', value: 'group-d1' };
    const paths = new InventoryPaths(root);
    paths.add({ type: 'Folder', value: 'f1' }, 'Europe', root);
    paths.add({ type: 'Datacenter', value: 'dc1' }, 'DC1', { type: 'Folder', value: 'f1' });
    paths.add({ type: 'Folder', value: 'ds' }, 'datastore', { type: 'Datacenter', value: 'dc1' });
    paths.add({ type: 'Datastore', value: 'd1' }, 'a%2fb', { type: 'Folder', value: 'ds' });
    expect(paths.pathOf({ type: 'Datastore', value: 'd1' })).toBe('/Europe/DC1/datastore/a%2fb');
  });
});
