// The client API later commands build on, against the simulator: one
// container query for all VMs of a folder, many ReconfigVM_Task calls, and
// ONE WaitForUpdatesEx-based wait for all of them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../src/lib/cli/logger.js';
import { connect, type VsphereSession } from '../src/lib/vsphere/connect.js';
import { NoPermissionError, VimFault } from '../src/lib/vsphere/soap/faults.js';
import { findByInventoryPath } from '../src/lib/vsphere/inventory.js';
import { retrieveFromContainer } from '../src/lib/vsphere/property-collector.js';
import { startTask, taskError, waitForTasks } from '../src/lib/vsphere/task.js';
import type { OptionValue } from '../src/lib/vsphere/types.js';
import { xsd } from '../src/lib/vsphere/soap/xml.js';
import { startVcsim, type Vcsim } from './support/vcsim.js';

let sim: Vcsim;
let session: VsphereSession;

beforeAll(async () => {
  sim = await startVcsim({
    tls: false,
    folder: '/DC0/vm/k8s',
    folderVms: 30,
    failReconfigure: 'k8s-node-0002',
    denyReconfigure: 'k8s-node-0003',
  });
  session = await connect(
    { url: sim.url, username: sim.username, password: sim.password, 'persist-session': false },
    {},
    { log: silentLogger, signal: new AbortController().signal },
  );
});

afterAll(async () => {
  await session?.release();
  await sim?.stop();
});

interface VmProps {
  name: string;
  'config.extraConfig': OptionValue[];
  'runtime.powerState': string;
}

describe('vim25 client', () => {
  it('reads every VM of a folder in one container query, with typed values', async () => {
    const folder = await findByInventoryPath(session.client, '/DC0/vm/k8s');
    expect(folder?.type).toBe('Folder');
    expect(await findByInventoryPath(session.client, '/DC0/vm/no-such-folder')).toBeUndefined();
    const before = session.requestCount;
    const vms = await retrieveFromContainer<VmProps>(session.client, {
      container: folder!,
      type: 'VirtualMachine',
      paths: ['name', 'config.extraConfig', 'runtime.powerState'],
    });
    // CreateContainerView, RetrievePropertiesEx, DestroyView.
    expect(session.requestCount - before).toBe(3);
    expect(vms).toHaveLength(30);
    for (const vm of vms) {
      expect(vm.ref.type).toBe('VirtualMachine');
      expect(vm.props.name).toMatch(/^k8s-node-\d{4}$/);
      expect(['poweredOn', 'poweredOff', 'suspended']).toContain(vm.props['runtime.powerState']);
      expect(Array.isArray(vm.props['config.extraConfig'])).toBe(true);
    }
  });

  it('waits for many tasks with one filter, reporting failures per task', async () => {
    const folder = (await findByInventoryPath(session.client, '/DC0/vm/k8s'))!;
    const vms = await retrieveFromContainer<VmProps>(session.client, {
      container: folder,
      type: 'VirtualMachine',
      paths: ['name'],
    });
    const started = new Map<string, string>();
    const tasks = [];
    const refused: string[] = [];
    for (const vm of vms) {
      try {
        const task = await startTask(session.client, 'ReconfigVM_Task', vm.ref, {
          spec: { extraConfig: [{ _type: 'OptionValue', key: 'disk.enableUUID', value: xsd('string', 'TRUE') }] },
        });
        tasks.push(task);
        started.set(task.value, vm.props.name!);
      } catch (err) {
        expect(err).toBeInstanceOf(NoPermissionError);
        expect((err as Error).message).toContain('VirtualMachine.Config.AdvancedConfig');
        refused.push(vm.props.name!);
      }
    }
    expect(refused).toEqual(['k8s-node-0003']);

    const before = session.requestCount;
    const done = await waitForTasks(session.client, tasks, { timeoutMs: 60_000 });
    // CreatePropertyCollector, CreateFilter, a few WaitForUpdatesEx, DestroyPropertyCollector.
    expect(session.requestCount - before).toBeLessThanOrEqual(8);
    expect(done.size).toBe(tasks.length);
    const failed = [...done.entries()].filter(([, result]) => result.info?.state === 'error');
    expect(failed.map(([task]) => started.get(task))).toEqual(['k8s-node-0002']);
    const err = taskError(failed[0]![1].info!);
    expect(failed[0]![1].error).toBeInstanceOf(VimFault);
    expect(err).toBeInstanceOf(VimFault);
    expect(err!.message.length).toBeGreaterThan(10);

    // Read back independently: every VM but the failed and refused ones has the value.
    const after = (await sim.inspect('vms')) as Array<{ name: string; extraConfig?: Record<string, string> }>;
    for (const vm of after.filter((v) => v.name.startsWith('k8s-node-'))) {
      const expected = vm.name === 'k8s-node-0002' || vm.name === 'k8s-node-0003' ? undefined : 'TRUE';
      expect(vm.extraConfig?.['disk.enableUUID'], vm.name).toBe(expected);
    }
  });
});
