// The controllers of the test server, each switchable per test through the
// server object (`server.controllers.workloads.enabled = false`) or options
// at start. All react to store events; none talks HTTP.
import type { ApiServer } from '../api-server.js';
import type { StoreEvent } from '../store.js';
import { CloudControllerManager, type CcmOptions } from './ccm.js';
import { CsiRegistrar, type CsiOptions } from './csi.js';
import { PodRunner, type PodOptions } from './pods.js';
import { Provisioner, type ProvisionerOptions } from './provisioner.js';
import { WorkloadController, type WorkloadOptions } from './workloads.js';

export type { CcmOptions, CsiOptions, PodOptions, ProvisionerOptions, WorkloadOptions };
export type { PodOutcome, PodDecider } from './pods.js';
export type { ImagePullFailure } from './workloads.js';

export interface ControllerOptions {
  workloads?: WorkloadOptions;
  ccm?: CcmOptions;
  csi?: CsiOptions;
  provisioner?: ProvisionerOptions;
  pods?: PodOptions;
}

export class Controllers {
  readonly workloads: WorkloadController;
  readonly ccm: CloudControllerManager;
  readonly csi: CsiRegistrar;
  readonly provisioner: Provisioner;
  readonly pods: PodRunner;
  private readonly unsubscribe: () => void;

  constructor(api: ApiServer, opts: ControllerOptions = {}) {
    this.workloads = new WorkloadController(api, opts.workloads);
    this.ccm = new CloudControllerManager(api, opts.ccm);
    this.csi = new CsiRegistrar(api, opts.csi);
    this.provisioner = new Provisioner(api, opts.provisioner);
    this.pods = new PodRunner(api, opts.pods);
    const all = [this.workloads, this.ccm, this.csi, this.provisioner, this.pods];
    // Controllers write back into the store; run them after the write that woke them has been answered.
    this.unsubscribe = api.store.subscribe((e: StoreEvent) => queueMicrotask(() => all.forEach((c) => c.handle(e))));
  }

  /** Turns every controller off (or on). */
  setAll(enabled: boolean): void {
    for (const c of [this.workloads, this.ccm, this.csi, this.provisioner, this.pods]) c.enabled = enabled;
  }

  stop(): void {
    this.unsubscribe();
  }
}
