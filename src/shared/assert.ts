/**
 * Programmer errors. A failed assertion means an invariant is broken: the process must stop rather
 * than go on with state it cannot trust. Caught only at the top of the process.
 */
export class InvariantError extends Error {
  override readonly name = 'InvariantError';
}

/**
 * `message` may be a function, for checks on a per-byte or per-entry path: a template string is
 * built on every call even when the check passes (~22 ns with a number in it), a closure is not
 * (~3 ns, measured with a scratch loop).
 */
export function assert(condition: boolean, message: string | (() => string)): asserts condition {
  if (!condition) throw new InvariantError(typeof message === 'string' ? message : message());
}

/** Exhaustiveness check for `switch` over a union. */
export function unreachable(value: never): never {
  throw new InvariantError(`Unreachable value: ${JSON.stringify(value)}`);
}
