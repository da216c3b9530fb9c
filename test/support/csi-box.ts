// A box with the vSphere CSI driver installed by vk, for suites that need
// volumes (the smoke test): started once in beforeAll with `drivers: true`,
// `vk install cpi` and `vk install csi` run as drivers.test.ts runs them, stopped in afterAll.
//
//   const csi = useCsiBox({ vcsim: { …, dsPartial: 1 } });
//   it('…', async () => { await csi.vk(['smoke-test']); });
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll } from 'vitest';
import { startBox, type Box, type BoxOptions } from '../box/cluster.js';
import { STANDIN_DISK_EVENT } from '../box/shell-pod.js';
import { startManifestServer, type ManifestServer } from '../fixtures/manifests/server.js';
import { runVk, type VkResult } from './run-vk.js';
import { cnsVolumes, type CnsVolume } from './cns-query.js';
import type { ChildProcess } from 'node:child_process';

export interface CsiBox {
  box: Box;
  /** The built CLI with the box's env and `--insecure --datacenter DC0`. */
  vk(args: string[], opts?: { during?: (child: ChildProcess) => void }): Promise<VkResult>;
  /** Every CNS volume in vcsim, read with raw SOAP (not through vk). */
  cnsVolumes(): Promise<CnsVolume[]>;
}

export function useCsiBox(opts: BoxOptions = {}): CsiBox {
  let box: Box | undefined;
  let manifests: ManifestServer | undefined;
  let env: NodeJS.ProcessEnv = {};
  const csi: CsiBox = {
    get box() {
      if (!box) throw new Error('the CSI box is used before it started (only inside tests and hooks)');
      return box;
    },
    vk: (args, o = {}) =>
      runVk([...args, '--insecure', '--datacenter', 'DC0'], env, { timeoutMs: 300_000, during: o.during }),
    cnsVolumes: () => {
      const url = new URL(env.GOVC_URL!.includes('://') ? env.GOVC_URL! : `https://${env.GOVC_URL}`);
      return cnsVolumes(url.href, env.GOVC_USERNAME!, env.GOVC_PASSWORD!);
    },
  };
  beforeAll(async () => {
    box = await startBox({ ...opts, drivers: true });
    // As in drivers.test.ts: the fixtures for Kubernetes 1.36 (CPI v1.36.0,
    // CSI v3.8.0) name the releases the box builds; the runtime runs no other tag.
    manifests = await startManifestServer({ aliases: {} });
    env = { ...box.env, VK_MANIFEST_BASE_URL: manifests.baseUrl, NO_COLOR: '1' };
    // CSI's preflight wants the nodes initialized by the CPI (their providerID), as on a real cluster.
    for (const args of [
      ['install', 'cpi'],
      ['install', 'csi', '--cluster-id', 'box'],
    ]) {
      const r = await csi.vk([...args, '--timeout', '240s']);
      if (r.code !== 0) throw new Error(`vk ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    }
  }, 600_000);
  afterAll(async () => {
    await manifests?.close();
    await box?.stop();
  });
  return csi;
}

/**
 * The stand-in disk directories the box's runtime reported for a namespace's
 * pods (the `BoxStandInDisk` events), by CSI volume handle.
 */
export async function standInDisks(box: Box, namespace: string): Promise<Map<string, string>> {
  const events = (await box.getJson(`/api/v1/namespaces/${namespace}/events`)).items as {
    reason: string;
    message: string;
  }[];
  const out = new Map<string, string>();
  for (const e of events.filter((x) => x.reason === STANDIN_DISK_EVENT)) {
    const m = /CSI volume (\S+)\) is the box's stand-in disk (\S+)$/.exec(e.message);
    if (m) out.set(m[1]!, m[2]!);
  }
  return out;
}

export const readToken = (dir: string): string => readFileSync(`${dir}/vk-smoke-token`, 'utf8');
