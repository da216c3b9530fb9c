// What a user can reach throws typed errors: a VkError carries one line and a
// hint, and the base command prints it as is. A plain Error is printed with
// "(run with --debug for details)", which is for bugs, not for a wrong input.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clusterIdFromNamespaceUid } from '../src/lib/drivers/csi/cluster-id.js';
import { parseIni } from '../src/lib/drivers/ini.js';
import { UsageError, VkError } from '../src/lib/core/errors.js';
import { absoluteFolderPath } from '../src/lib/vms/prepare-vms.js';
import type { VimClient } from '../src/lib/vsphere/soap/client.js';
import { findByInventoryPath } from '../src/lib/vsphere/inventory.js';
import { createContainerView } from '../src/lib/vsphere/view.js';
import { repoRoot } from './support/go-build.js';

/** A client whose server has no ViewManager and no SearchIndex (an old ESXi host). */
const bareClient = {
  hostPort: 'esx.example.com:443',
  sc: { rootFolder: { type: 'Folder', value: 'ha-folder-root' } },
} as unknown as VimClient;

const thrown = async (f: () => unknown) => {
  try {
    await f();
  } catch (err) {
    return err;
  }
  throw new Error('did not throw');
};

describe('typed errors on user paths', () => {
  it('a cluster without a kube-system UID: VkError with a hint', async () => {
    const err = await thrown(() => clusterIdFromNamespaceUid(' '));
    expect(err).toBeInstanceOf(VkError);
    expect((err as VkError).hint).toBe('pass --cluster-id');
  });

  it('a relative folder without a datacenter: usage error', async () => {
    const err = await thrown(() => absoluteFolderPath('k8s', undefined));
    expect(err).toBeInstanceOf(UsageError);
    expect((err as VkError).message).toBe('VM folder "k8s" is relative and no datacenter was chosen');
  });

  it('an endpoint without ViewManager or SearchIndex: VkError naming it', async () => {
    const view = await thrown(() =>
      createContainerView(bareClient, bareClient.sc.rootFolder, ['VirtualMachine'], true),
    );
    expect(view).toBeInstanceOf(VkError);
    expect((view as VkError).message).toBe('esx.example.com:443 has no ViewManager');
    const search = await thrown(() => findByInventoryPath(bareClient, '/ha-datacenter/vm'));
    expect(search).toBeInstanceOf(VkError);
    expect((search as VkError).message).toContain('esx.example.com:443 has no SearchIndex');
  });

  it('an unreadable driver config line: VkError', async () => {
    expect(await thrown(() => parseIni('[Global]\n!!!\n'))).toBeInstanceOf(VkError);
  });

  // TypeError/RangeError stay for a caller inside vk breaking a function's contract: a bug.
  it('src/ throws no plain Error', () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(dir, e.name));
        else if (e.name.endsWith('.ts')) files.push(join(dir, e.name));
      }
    };
    walk(join(repoRoot, 'src'));
    const plain = files.flatMap((f) =>
      readFileSync(f, 'utf8')
        .split('\n')
        .map((line, i) => ({ where: `${f.slice(repoRoot.length + 1)}:${i + 1}`, line }))
        .filter(({ line }) => /\bthrow new Error\(/.test(line)),
    );
    expect(plain.map((p) => p.where)).toEqual([]);
  });
});
