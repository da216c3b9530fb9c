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
