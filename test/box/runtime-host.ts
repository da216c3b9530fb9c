// What the box's pod runtime and its helpers (csinode.ts, shell-pod.ts) need
// from the box: its API, where its API server is, and where stand-in disks live.

/* eslint-disable @typescript-eslint/no-explicit-any -- API objects are read as served */

export interface RuntimeHost {
  api(method: string, path: string, body?: unknown, contentType?: string): Promise<{ status: number; body: any }>;
  apiServerUrl: string;
  caPem: string;
  /** Where the stand-in disks of shell pods' volumes live, one directory per CSI volume handle. */
  volumesDir: string;
}
