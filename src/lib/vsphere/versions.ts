// vSphere release numbers as vCenter and ESXi report them. `apiVersion`
// carries the update: vCenter 6.7 U3 says version "6.7.0" but apiVersion
// "6.7.3", 8.0 U3 says "8.0.3.0". The CSI driver compares apiVersion too
// (its CheckAPI), so vk reads the same field.

/** A vSphere release: major.minor and its update ("U3" is update 3). */
export interface VsphereVersion {
  major: number;
  minor: number;
  update: number;
}

/** "8.0.3.0", "6.7.3", "6.5", "7.0" → the release; undefined when unreadable. */
export function parseVsphereVersion(value: string | undefined): VsphereVersion | undefined {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?(?:\.\d+)*$/.exec((value ?? '').trim());
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), update: Number(m[3] ?? 0) };
}

/** Negative when a is older than b, 0 when equal, positive when newer. */
export function compareVsphere(a: VsphereVersion, b: VsphereVersion): number {
  return a.major - b.major || a.minor - b.minor || a.update - b.update;
}

/** Whether `v` is at least the release written as `min` ("6.7.3"). */
export function atLeast(v: VsphereVersion, min: string): boolean {
  return compareVsphere(v, parseVsphereVersion(min)!) >= 0;
}

/** The name users know: "6.7 U3", "7.0", "8.0 U3". */
export function vsphereLabel(v: VsphereVersion | string): string {
  const p = typeof v === 'string' ? parseVsphereVersion(v) : v;
  if (!p) return String(v);
  return `${p.major}.${p.minor}${p.update ? ` U${p.update}` : ''}`;
}

/** The number of a virtual hardware version: "vmx-21" → 21; undefined when unreadable. */
export function vmHardwareNumber(version: string | undefined): number | undefined {
  const m = /^vmx-(\d+)$/.exec(version ?? '');
  return m ? Number(m[1]) : undefined;
}
