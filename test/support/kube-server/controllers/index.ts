// The controllers of the test server, each switchable per test.
import type { ApiServer } from '../api-server.js';

export interface ControllerOptions {
  ccm?: boolean;
}

export class Controllers {
  readonly ccm = { enabled: true, uuids: new Map<string, string>() };
  constructor(
    private readonly api: ApiServer,
    opts: ControllerOptions = {},
  ) {
    this.ccm.enabled = opts.ccm ?? true;
  }

  stop(): void {
    void this.api;
  }
}
