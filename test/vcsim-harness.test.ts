// The simulator harness itself: the inventory follows the options, the
// launcher's fixes to govmomi 0.24.2 hold, TLS details are true, and stop()
// leaves nothing behind. Every other vSphere suite relies on this.

import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { connect as tlsConnect } from 'node:tls';
import { Agent, fetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVcsim, type Vcsim } from './support/vcsim.js';

let sim: Vcsim;

beforeAll(async () => {
  sim = await startVcsim({
    cluster: 1,
    host: 2,
    ds: 2,
    nfs: 1,
    dsPartial: 1,
    folder: '/DC0/vm/k8s',
    folderVms: 6,
    subfolders: ['a', 'b/c'],
    subfolderVms: 2,
    vmNames: ['name with spaces', 'nœud-ü'],
    templates: 1,
    presetUuid: 2,
    poweredOff: 1,
    failReconfigure: 'k8s-node-0005',
    denyReconfigure: 'k8s-node-0006',
  });
});

afterAll(async () => {
  await sim?.stop();
});

function loginEnvelope(user: string, password: string): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>' +
    '<Login xmlns="urn:vim25"><_this type="SessionManager">SessionManager</_this>' +
    `<userName>${esc(user)}</userName><password>${esc(password)}</password></Login>` +
    '</soapenv:Body></soapenv:Envelope>'
  );
}

async function soapLogin(password: string): Promise<{ status: number; body: string }> {
  // Trusting exactly the simulator's certificate also proves caFile is usable.
  const dispatcher = new Agent({ connect: { ca: readFileSync(sim.caFile!) } });
  try {
    const res = await fetch(sim.url, {
      method: 'POST',
      headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: 'urn:vim25/6.5' },
      body: loginEnvelope(sim.username, password),
      dispatcher,
    });
    return { status: res.status, body: await res.text() };
  } finally {
    await dispatcher.close();
  }
}

describe('vcsim harness', () => {
  it('prints where and how to connect', () => {
    expect(sim.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/sdk$/);
    expect(sim.host).toBe(new URL(sim.url).host);
    expect(sim.username).toBe('administrator@vsphere.local');
    expect(sim.thumbprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(sim.thumbprintSha1).toMatch(/^([0-9A-F]{2}:){19}[0-9A-F]{2}$/);
    expect(sim.env).toMatchObject({
      GOVC_URL: sim.url,
      GOVC_USERNAME: sim.username,
      GOVC_PASSWORD: sim.password,
      VK_PERSIST_SESSION: 'false',
      XDG_CONFIG_HOME: sim.configDir,
    });
    expect(sim.env.GOVC_INSECURE).toBeUndefined();
  });

  it('serves the certificate whose thumbprints it printed', async () => {
    const cert = await new Promise<Buffer>((resolve, reject) => {
      const u = new URL(sim.url);
      const socket = tlsConnect({ host: u.hostname, port: Number(u.port), rejectUnauthorized: false }, () => {
        resolve(socket.getPeerCertificate().raw);
        socket.end();
      });
      socket.on('error', reject);
    });
    const hex = (algo: string) => createHash(algo).update(cert).digest('hex').toUpperCase().match(/../g)!.join(':');
    expect(sim.thumbprint).toBe(hex('sha256'));
    expect(sim.thumbprintSha1).toBe(hex('sha1'));
  });

  it('accepts only its user and password (InvalidLogin otherwise)', async () => {
    const bad = await soapLogin('wrong');
    expect(bad.status).toBe(500);
    expect(bad.body).toContain('InvalidLogin');
    const good = await soapLogin(sim.password);
    expect(good.status).toBe(200);
    expect(good.body).toContain(`<userName>${sim.username}</userName>`);
  });

  it('builds the datastores asked for, each listed once with every host that mounts it', async () => {
    const ds = await sim.inspect('datastores');
    expect(ds.map((d) => [d.name, d.type, d.hosts])).toEqual([
      ['LocalDS_0', 'VMFS', ['DC0_C0_H0', 'DC0_C0_H1']],
      ['LocalDS_1', 'VMFS', ['DC0_C0_H0', 'DC0_C0_H1']],
      ['NFS_0', 'NFS', ['DC0_C0_H0', 'DC0_C0_H1']],
      ['PartialNFS_0', 'NFS', ['DC0_C0_H0']],
    ]);
    const nfs = ds.find((d) => d.name === 'NFS_0')!;
    expect(nfs.remoteHost).toMatch(/\.example\.com$/);
    expect(nfs.remotePath).toBe('/export/nfs_0');
    expect(nfs.capacity).toBeGreaterThan(nfs.free);
    const folders = await sim.inspect('folders');
    expect(folders.find((f) => f.path === '/DC0/datastore')!.children).toBe(4);
    const hosts = await sim.inspect('hosts');
    expect(hosts.map((h) => [h.name, h.cluster, h.datastores.length])).toEqual([
      ['DC0_C0_H0', '/DC0/host/DC0_C0', 4],
      ['DC0_C0_H1', '/DC0/host/DC0_C0', 3],
    ]);
  });

  it('fills the VM folder: node VMs, subfolders, odd names, a template, preset and powered-off VMs', async () => {
    const vms = await sim.inspect('vms');
    const summary = vms.map((v) => `${v.path} ${v.powerState} ${v.template ? 'template' : '-'} ${v.enableUUID}`);
    expect(summary).toEqual([
      '/DC0/vm/k8s/a/a-node-0001 poweredOn - null',
      '/DC0/vm/k8s/a/a-node-0002 poweredOn - null',
      '/DC0/vm/k8s/b/c/b-c-node-0001 poweredOn - null',
      '/DC0/vm/k8s/b/c/b-c-node-0002 poweredOn - null',
      '/DC0/vm/k8s/k8s-node-0001 poweredOn - TRUE',
      '/DC0/vm/k8s/k8s-node-0002 poweredOn - TRUE',
      '/DC0/vm/k8s/k8s-node-0003 poweredOff - null',
      '/DC0/vm/k8s/k8s-node-0004 poweredOn - null',
      '/DC0/vm/k8s/k8s-node-0005 poweredOn - null',
      '/DC0/vm/k8s/k8s-node-0006 poweredOn - null',
      '/DC0/vm/k8s/k8s-template-01 poweredOff template null',
      '/DC0/vm/k8s/name with spaces poweredOn - null',
      '/DC0/vm/k8s/nœud-ü poweredOn - null',
    ]);
    expect(new Set(vms.map((v) => v.uuid)).size).toBe(vms.length);
  });

  it('replaces an extraConfig value like vCenter instead of appending a second one', async () => {
    await sim.inspect('set-extra-config', 'nœud-ü', 'disk.enableUUID', 'FALSE');
    await sim.inspect('set-extra-config', '/DC0/vm/k8s/nœud-ü', 'disk.enableUUID', 'TRUE');
    const vm = (await sim.inspect('vms')).find((v) => v.name === 'nœud-ü')!;
    expect(vm.enableUUID).toBe('TRUE');
    expect(vm.extraConfig['disk.enableUUID']).toBe('TRUE');
    expect(vm.duplicateKeys).toBeUndefined();
  });

  it('fails or refuses reconfigure on the VMs named by failReconfigure / denyReconfigure only', async () => {
    await expect(sim.inspect('set-extra-config', 'k8s-node-0005', 'disk.enableUUID', 'TRUE')).rejects.toThrow(
      /error occurred while saving the configuration file of virtual machine 'k8s-node-0005'/,
    );
    await expect(sim.inspect('set-extra-config', 'k8s-node-0006', 'disk.enableUUID', 'TRUE')).rejects.toThrow(
      /Permission to perform this operation was denied/,
    );
    // The wrapped VMs still answer the property collector and power operations.
    await sim.inspect('power-off', 'k8s-node-0005');
    const vms = await sim.inspect('vms');
    expect(vms.find((v) => v.name === 'k8s-node-0005')).toMatchObject({ powerState: 'poweredOff', enableUUID: null });
    expect(vms.find((v) => v.name === 'k8s-node-0006')!.enableUUID).toBeNull();
  });

  it('knows the CSI privileges and the driver principals, which hold no permission yet', async () => {
    const admin = (await sim.inspect('roles')).find((r) => r.name === 'Admin')!;
    expect(admin.privileges).toEqual(
      expect.arrayContaining(['Cns.Searchable', 'StorageProfile.View', 'Host.Config.Storage']),
    );
    const perms = await sim.inspect('permissions');
    expect(perms.filter((p) => p.principal.startsWith('k8s-'))).toEqual([]);
    expect(perms).toContainEqual(
      expect.objectContaining({ entity: '/', principal: sim.username, role: 'Admin', propagate: true }),
    );
    const privs = await sim.inspect('privileges', 'k8s-csi@vsphere.local', '/DC0', '/DC0/vm/k8s');
    expect(privs).toEqual({ '/DC0': [], '/DC0/vm/k8s': [] });
    await expect(sim.inspect('privileges', 'nobody@vsphere.local', '/DC0')).rejects.toThrow(/does not exist/);
  });

  it('stops cleanly: the port closes and its temp files are gone', async () => {
    const { pid, caFile, configDir, url } = sim;
    await sim.stop();
    expect(() => process.kill(pid, 0)).toThrow();
    expect(existsSync(caFile!)).toBe(false);
    expect(existsSync(configDir)).toBe(false);
    await expect(fetch(url.replace('https:', 'http:'), { method: 'POST' })).rejects.toThrow();
    await sim.stop(); // idempotent
  });
});

describe('vcsim harness without TLS', () => {
  it('serves plain http when tls is false', async () => {
    const plain = await startVcsim({ tls: false, host: 1 });
    try {
      expect(plain.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/sdk$/);
      expect(plain.thumbprint).toBe('');
      expect(plain.caFile).toBeUndefined();
      expect((await plain.inspect('about')).apiType).toBe('VirtualCenter');
    } finally {
      await plain.stop();
    }
  });
});
