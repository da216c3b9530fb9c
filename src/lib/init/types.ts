// What vk init is told and what it writes: the flags, the answers (from the
// flags or the wizard's questions) and the result. Shared by init.ts and
// wizard.ts, which both import it; neither imports the other's values.

import type { DatacenterRef } from '../vsphere/inventory.js';
import type { RawVsphereFlags } from '../settings/vsphere.js';

/** What vk init was told on the command line (and the environment for the connection). */
export interface InitFlags extends RawVsphereFlags {
  datacenter?: string;
  folder?: string;
  datastore?: string;
  kubeconfig?: string;
  context?: string;
  'save-password'?: boolean;
}

export interface InitResult {
  file: string;
  url: string;
  user: string;
  product: string;
  version: string;
  datacenter?: string;
  folder?: string;
  datastore?: string;
  passwordSaved: boolean;
}

export interface InitAnswers {
  datacenter?: DatacenterRef;
  folder?: string;
  datastore?: string;
  savePassword: boolean;
}
