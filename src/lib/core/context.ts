// The one context object a step receives: the lazily created vSphere session
// and kube client (one each per process), output settings, a logger and the
// AbortSignal that Ctrl-C/SIGTERM fires. Nothing reaches for globals.

import type { Logger } from '../cli/logger.js';
import type { OutputFormat } from '../cli/output.js';
import type { VsphereSession } from '../vsphere/connect.js';
import type { RawVsphereFlags } from '../settings/vsphere.js';
import type { KubeClient } from '../kube/connect.js';

export interface Context {
  vsphere(): Promise<VsphereSession>;
  /**
   * Replaces the session with one for these vSphere settings instead of the
   * command line's (vk init's wizard learns them only after parsing); later
   * vsphere() calls return it, and the base command releases it.
   */
  connectVsphere(flags: RawVsphereFlags): Promise<VsphereSession>;
  kube(): Promise<KubeClient>;
  log: Logger;
  signal: AbortSignal;
  output: OutputFormat;
  /** stdin and stderr are terminals: prompts and animated progress allowed. */
  interactive: boolean;
  color: boolean;
  env: NodeJS.ProcessEnv;
}
