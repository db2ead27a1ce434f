/**
 * The project's error convention (house style): every error a caller must tell apart carries a
 * stable `code`, tested with `hasErrorCode`, which also works across bundle boundaries where
 * `instanceof` fails (the CLI, workers and the recorder are separate bundles).
 */

/** Base of every coded error: one-line message, stable `code`, `name` = the subclass name. */
export class CodedError extends Error {
  constructor(
    readonly code: string,
    message: string,
    name: string,
  ) {
    super(message);
    this.name = name;
  }
}

/** Whether `e` is an Error carrying `code` (from this copy of a module or another). */
export function hasErrorCode(e: unknown, code: string): boolean {
  return e instanceof Error && (e as { code?: unknown }).code === code;
}

/**
 * The error a cancelled computation rejects with (cancellation is not a failure): the compute pool's
 * stages, the forward passes of src/tfjs and src/native, and the service's queries all use it, so it
 * lives here, below every one of them.
 */
export class CancelledError extends CodedError {
  constructor() {
    super('cancelled', 'the computation was cancelled', 'CancelledError');
  }
  static is(e: unknown): e is CancelledError {
    return hasErrorCode(e, 'cancelled');
  }
}
