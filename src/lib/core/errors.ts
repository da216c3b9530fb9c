// Typed errors: library code throws these; only the base command prints them.
// A VkError is one line a user can act on, an optional hint naming the fix,
// and the process exit code.

export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  interrupted: 130,
} as const;

export interface VkErrorOptions {
  hint?: string;
  exitCode?: number;
  cause?: unknown;
}

export class VkError extends Error {
  readonly hint?: string;
  readonly exitCode: number;

  constructor(message: string, options: VkErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'VkError';
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? ExitCode.failure;
  }
}

/** Bad flags or arguments: rejected before any request is sent (exit 2). */
export class UsageError extends VkError {
  constructor(message: string, options: Omit<VkErrorOptions, 'exitCode'> = {}) {
    super(message, { ...options, exitCode: ExitCode.usage });
    this.name = 'UsageError';
  }
}

/** The operation was interrupted (Ctrl-C / SIGTERM). */
export class InterruptedError extends VkError {
  constructor(message = 'interrupted') {
    super(message, { exitCode: ExitCode.interrupted });
    this.name = 'InterruptedError';
  }
}

export function isVkError(err: unknown): err is VkError {
  return err instanceof VkError;
}
