/**
 * The SQLSTATEs that agent_runtime functions raise (docs/errors.md describes each one), and the
 * typed errors a call rejects with. Categories follow the .NET client's exceptions, so code that
 * handles "not found" handles every code that means it.
 */
import type { DatabaseError } from 'pg';

/** Every AR code and its name, as docs/errors.md lists them (a test keeps the two in step). */
export const AR_ERROR_CODES = {
  AR001: 'invalid_argument',
  AR002: 'payload_too_large',
  AR003: 'unknown_option',
  AR004: 'input_rejected',
  AR010: 'agent_not_found',
  AR011: 'task_not_found',
  AR012: 'step_not_found',
  AR013: 'role_not_found',
  AR020: 'stale_lease',
  AR030: 'task_not_cancelable',
  AR031: 'task_not_retryable',
  AR032: 'task_not_accepting_messages',
  AR033: 'step_not_requeueable',
  AR040: 'lock_not_held',
  AR050: 'session_not_found',
  AR051: 'session_exists',
  AR052: 'sequence_conflict',
  AR060: 'push_config_not_found',
  AR061: 'push_delivery_not_found',
  AR062: 'push_url_refused',
  AR070: 'app_not_permitted',
  AR071: 'agent_not_owned',
  AR080: 'workflow_invalid',
  AR081: 'name_in_use',
  AR090: 'artifact_not_found',
  AR091: 'memory_not_found',
  AR092: 'embedding_dimension_mismatch',
  AR093: 'memory_dimensions_in_use',
  AR100: 'token_budget_exceeded',
} as const;

export type ArErrorCode = keyof typeof AR_ERROR_CODES;

/** An agent_runtime function refused a call: `code` is its SQLSTATE, `hint` says what to do. */
export class AgentRuntimeError extends Error {
  /** The SQLSTATE, e.g. "AR011". */
  readonly code: string;
  /** The code's name from docs/errors.md, e.g. "task_not_found" (undefined for a code this client does not know yet). */
  readonly codeName: string | undefined;
  readonly hint: string | undefined;

  constructor(code: string, message: string, hint: string | undefined, cause?: unknown) {
    super(message, { cause });
    this.name = new.target.name;
    this.code = code;
    this.codeName = (AR_ERROR_CODES as Record<string, string>)[code];
    this.hint = hint;
  }
}

/** AR001, AR003, AR080, AR092: an argument, an option key, a workflow definition or an embedding is wrong. */
export class InvalidArgumentError extends AgentRuntimeError {}
/** AR002: a value is over its limit. */
export class PayloadTooLargeError extends AgentRuntimeError {}
/** AR004: the input does not match the agent's input_schema. */
export class InputRejectedError extends AgentRuntimeError {}
/** AR010..AR013, AR050, AR060, AR061, AR090, AR091: no such thing (or another tenant's, which looks alike). */
export class NotFoundError extends AgentRuntimeError {}
/** AR020: the step's lease moved on; another run owns it, so this result must be dropped. */
export class StaleLeaseError extends AgentRuntimeError {}
/** AR030..AR033: the task or step is not in a state that allows the call. */
export class InvalidTaskStateError extends AgentRuntimeError {}
/** AR040: the lock is no longer held with this token and secret. */
export class LockNotHeldError extends AgentRuntimeError {}
/** AR051, AR081: the id or name is taken. */
export class AlreadyExistsError extends AgentRuntimeError {}
/** AR052: another writer appended to the session first. */
export class SessionConflictError extends AgentRuntimeError {}
/** AR062, AR070, AR071: the role may not do this (a push URL, another app, another role's agent). */
export class NotPermittedError extends AgentRuntimeError {}
/** AR093: the embedding size cannot change while memories are stored. */
export class MemoryDimensionsInUseError extends AgentRuntimeError {}

type ErrorClass = new (code: string, message: string, hint: string | undefined, cause?: unknown) => AgentRuntimeError;

const CLASSES: Record<ArErrorCode, ErrorClass> = {
  AR001: InvalidArgumentError,
  AR002: PayloadTooLargeError,
  AR003: InvalidArgumentError,
  AR004: InputRejectedError,
  AR010: NotFoundError,
  AR011: NotFoundError,
  AR012: NotFoundError,
  AR013: NotFoundError,
  AR020: StaleLeaseError,
  AR030: InvalidTaskStateError,
  AR031: InvalidTaskStateError,
  AR032: InvalidTaskStateError,
  AR033: InvalidTaskStateError,
  AR040: LockNotHeldError,
  AR050: NotFoundError,
  AR051: AlreadyExistsError,
  AR052: SessionConflictError,
  AR060: NotFoundError,
  AR061: NotFoundError,
  AR062: NotPermittedError,
  AR070: NotPermittedError,
  AR071: NotPermittedError,
  AR080: InvalidArgumentError,
  AR081: AlreadyExistsError,
  AR090: NotFoundError,
  AR091: NotFoundError,
  AR092: InvalidArgumentError,
  AR093: MemoryDimensionsInUseError,
  // never raised: the code in the error of a task that passed its max_tokens
  AR100: AgentRuntimeError,
};

function isDatabaseError(error: unknown): error is DatabaseError {
  return error instanceof Error && typeof (error as { code?: unknown }).code === 'string'
    && typeof (error as { severity?: unknown }).severity === 'string';
}

/**
 * The typed error for an AR error (an unknown AR code: a plain AgentRuntimeError), or the error
 * itself when it is not one of ours (a connection failure, a deadlock), to propagate as it is.
 */
export function toAgentRuntimeError(error: unknown): unknown {
  if (!isDatabaseError(error) || !error.code?.startsWith('AR')) {
    return error;
  }
  const Class = CLASSES[error.code as ArErrorCode] ?? AgentRuntimeError;
  return new Class(error.code, error.message, error.hint, error);
}

/** True for errors that mean "try again later": the connection broke, the server restarts, a deadlock. */
export function isTransientError(error: unknown): boolean {
  if (isDatabaseError(error)) {
    const code = error.code ?? '';
    return code.startsWith('08') || code.startsWith('57P') || code === '40001' || code === '40P01' || code === '53300';
  }
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'EPIPE' || code === 'ETIMEDOUT' || code === 'ENOENT'
      || /Connection terminated|connection timeout|Client has encountered a connection error/i.test(error.message);
  }
  return false;
}
