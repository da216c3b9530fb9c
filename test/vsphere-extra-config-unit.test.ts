// Reading disk.enableUUID of many VMs, against a scripted vim25 endpoint: one
// keyed property path per VM instead of the whole extraConfig; a property vk
// may not read is an error naming it, the VM and the privilege (never "not
// set"); servers without keyed paths get the whole array, asked for once.
import { afterEach, describe, expect, it } from 'vitest';
import { applyPrepareVms, planPrepareVms } from '../src/lib/vms/prepare-vms.js';
import { diskUuidCheck } from '../src/lib/doctor/doctor.js';
import { extraConfigKeyPath } from '../src/lib/vsphere/extra-config.js';
import { ref, startFakeVim, type FakeHandler, type FakeVim } from './support/fake-vim.js';

let fake: FakeVim | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const prop = (name: string, val: string) => `<propSet><name>${name}</name>${val}</propSet>`;
const str = (v: string) => `<val xsi:type="xsd:string">${v}</val>`;
const moref = (type: string, value: string) => `<val type="${type}" xsi:type="ManagedObjectReference">${value}</val>`;
const option = (key: string, value: string) =>
  `<OptionValue xsi:type="OptionValue"><key>${key}</key><value xsi:type="xsd:string">${value}</value></OptionValue>`;
const object = (type: string, value: string, inner: string) => `<objects>${ref('obj', type, value)}${inner}</objects>`;
const missing = (path: string, fault: string) =>
  `<missingSet><path>${path.replaceAll('"', '&quot;')}</path><fault><fault xsi:type="${fault.split(' ')[0]}">` +
  `${fault.split(' ').slice(1).join(' ')}</fault></fault></missingSet>`;

/** /DC0 with its VM folder group-v3. */
const folderTree = () =>
  object(
    'Datacenter',
    'datacenter-2',
    prop('name', str('DC0')) +
      prop('parent', moref('Folder', 'group-d1')) +
      prop('vmFolder', moref('Folder', 'group-v3')),
  ) +
  object(
    'Folder',
    'group-v3',
    prop('name', str('vm')) +
      prop('parent', moref('Datacenter', 'datacenter-2')) +
      prop('childType', '<val xsi:type="ArrayOfString"><string>Folder</string><string>VirtualMachine</string></val>'),
  );

const vm = (value: string, name: string, extra: string) =>
  object(
    'VirtualMachine',
    value,
    prop('name', str(name)) +
      prop('parent', moref('Folder', 'group-v3')) +
      prop('runtime.powerState', '<val xsi:type="VirtualMachinePowerState">poweredOff</val>') +
      prop('config.template', '<val xsi:type="xsd:boolean">false</val>') +
      extra,
  );

const KEYED = extraConfigKeyPath('disk.enableUUID');
const keyedValue = (v: string) =>
  prop(
    KEYED.replaceAll('"', '&quot;'),
    `<val xsi:type="OptionValue"><key>disk.enableUUID</key><value xsi:type="xsd:string">${v}</value></val>`,
  );

/** RetrievePropertiesEx: the folder tree, then `vms(request)` for each VM listing. */
function retrieve(vms: (request: string, call: number) => string): Record<string, FakeHandler> {
  return {
    RetrievePropertiesEx: (req, call) => (req.includes('<type>Datacenter</type>') ? folderTree() : vms(req, call)),
  };
}

const input = { folder: '/DC0/vm', recursive: true, include: [], exclude: [] };

describe('reading disk.enableUUID of a folder of VMs', () => {
  it('asks for the one key by its keyed property path, not the whole extraConfig', async () => {
    const requests: string[] = [];
    fake = await startFakeVim(
      retrieve((req) => {
        requests.push(req);
        return vm('vm-1', 'node-1', keyedValue('TRUE')) + vm('vm-2', 'node-2', '');
      }),
    );
    const plan = await planPrepareVms(fake.client, input);
    expect(KEYED).toBe('config.extraConfig["disk.enableUUID"]');
    expect(requests).toHaveLength(1);
    expect(requests[0]).toContain('<pathSet>config.extraConfig[&quot;disk.enableUUID&quot;]</pathSet>');
    expect(requests[0]).not.toContain('<pathSet>config.extraConfig</pathSet>');
    expect(plan.vms.map((v) => [v.name, v.before, v.action])).toEqual([
      ['node-1', 'TRUE', 'none'],
      ['node-2', undefined, 'set'],
    ]);
  });

  it('reports a key it may not read as a failure naming the property, the VM and the privilege', async () => {
    fake = await startFakeVim(
      retrieve(
        () =>
          vm('vm-1', 'node-1', keyedValue('TRUE')) +
          vm(
            'vm-2',
            'node-2',
            missing(
              KEYED,
              'NoPermission <object type="VirtualMachine">vm-2</object><privilegeId>System.Read</privilegeId>',
            ),
          ),
      ),
    );
    const plan = await planPrepareVms(fake.client, input);
    const line =
      'cannot read config.extraConfig["disk.enableUUID"] of VirtualMachine "node-2" (vm-2): ' +
      'permission denied, needs privilege System.Read';
    expect(plan.vms[1]).toMatchObject({ name: 'node-2', action: 'unreadable', error: line });
    // Neither "not set" nor reconfigured: a failure, in a dry run too.
    const result = await applyPrepareVms(fake.client, plan, { concurrency: 1, dryRun: true, taskTimeoutMs: 1000 });
    expect(result.vms[1]).toMatchObject({ result: 'failed', error: line, before: null, unreadable: true });
    expect(fake.calls).not.toContain('ReconfigVM_Task');

    const check = diskUuidCheck([{ node: 'node-2', vm: { name: 'node-2', unreadable: line }, by: 'name' }]);
    expect(check).toMatchObject({ status: 'fail', detail: line });
  });

  it('reads the whole extraConfig once where the server has no keyed paths, and remembers', async () => {
    const asked: string[] = [];
    fake = await startFakeVim(
      retrieve((req) => {
        const keyed = req.includes('extraConfig[');
        asked.push(keyed ? 'keyed' : 'whole');
        const filler = Array.from({ length: 5 }, (_, i) => option(`guestinfo.k${i}`, 'x')).join('');
        return keyed
          ? vm('vm-1', 'node-1', missing(KEYED, 'InvalidProperty <name>x</name>')) +
              vm('vm-2', 'node-2', missing(KEYED, 'InvalidProperty <name>x</name>'))
          : vm(
              'vm-1',
              'node-1',
              prop(
                'config.extraConfig',
                `<val xsi:type="ArrayOfOptionValue">${filler}${option('disk.enableUUID', 'TRUE')}</val>`,
              ),
            ) + vm('vm-2', 'node-2', prop('config.extraConfig', `<val xsi:type="ArrayOfOptionValue">${filler}</val>`));
      }),
    );
    const plan = await planPrepareVms(fake.client, input);
    expect(plan.vms.map((v) => [v.name, v.before, v.action])).toEqual([
      ['node-1', 'TRUE', 'none'],
      ['node-2', undefined, 'set'],
    ]);
    await planPrepareVms(fake.client, input);
    expect(asked).toEqual(['keyed', 'whole', 'whole']);
  });
});
