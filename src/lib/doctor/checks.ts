// The shape every read-only check reports in (`vk doctor`, and the
// preflights of install that reuse its checks).

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  id: string;
  title: string;
  status: CheckStatus;
  detail: string;
  fix?: string;
}

/** The first `n` items joined, then "and N more": how a check names what it found. */
export function firstOf(items: string[], n = 5, separator = ', '): string {
  return items.length > n ? `${items.slice(0, n).join(separator)} and ${items.length - n} more` : items.join(separator);
}
