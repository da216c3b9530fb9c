// The one context object a step receives: the lazily created vSphere session
// and kube client (one each per process), output settings, a logger and the
// AbortSignal that Ctrl-C/SIGTERM fires. Nothing reaches for globals.

import type { Logger } from './cli/logger.js';
import type { OutputFormat } from './cli/output.js';
import type { VsphereSession } from './vsphere/connect.js';
import type { KubeClient } from './kube/connect.js';

export interface Context {
  vsphere(): Promise<VsphereSession>;
  kube(): Promise<KubeClient>;
  log: Logger;
  signal: AbortSignal;
  output: OutputFormat;
  /** stdin and stderr are terminals: prompts and animated progress allowed. */
  interactive: boolean;
  color: boolean;
  env: NodeJS.ProcessEnv;
}
