// CONTRACT STUB (filled in by the Kubernetes-side work): builds the process's
// one kube client from --kubeconfig / KUBECONFIG / default / in-cluster.
import type { Logger } from '../cli/logger.js';

export interface RawKubeFlags {
  kubeconfig?: string;
  context?: string;
}

export interface KubeClient {
  /** Closes watches and sockets. */
  close(): Promise<void>;
}

export interface KubeDeps {
  log: Logger;
  signal: AbortSignal;
}

export async function connectKube(_flags: RawKubeFlags, _env: NodeJS.ProcessEnv, _deps: KubeDeps): Promise<KubeClient> {
  throw new Error('not implemented');
}
