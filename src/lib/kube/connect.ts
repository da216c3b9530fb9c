// Builds the process's one kube client from --kubeconfig / KUBECONFIG /
// ~/.kube/config / in-cluster service account, and --context. No request is
// sent here: the first API call opens the connection.
import { setMaxListeners } from 'node:events';
import type { Logger } from '../cli/logger.js';
import { VkError } from '../core/errors.js';
import { KubeClient } from './client.js';
import { loadKubeconfig } from './kubeconfig.js';
import { createTransport } from './transport.js';

export { KubeClient } from './client.js';

export interface RawKubeFlags {
  kubeconfig?: string;
  context?: string;
}

export interface KubeDeps {
  log: Logger;
  signal: AbortSignal;
}

export async function connectKube(flags: RawKubeFlags, env: NodeJS.ProcessEnv, deps: KubeDeps): Promise<KubeClient> {
  const cfg = await loadKubeconfig({ kubeconfig: flags.kubeconfig, context: flags.context }, env);
  deps.log.debug(`kubeconfig: ${cfg.source}, context "${cfg.context}", server ${cfg.server}`);
  let transport;
  try {
    transport = await createTransport(cfg, deps.log);
  } catch (err) {
    // Unreadable certificate files, failing exec credential plugins, …
    throw new VkError(`cannot use kubeconfig context "${cfg.context}": ${(err as Error).message.split('\n')[0]}`, {
      hint: `check the context's user and cluster entries in ${cfg.source}`,
      cause: err,
    });
  }
  // Every in-flight request listens on the signal; --concurrency puts many in flight.
  setMaxListeners(0, deps.signal);
  return new KubeClient(transport, deps.log, deps.signal, cfg.source);
}
