/**
 * Programmer errors. A failed assertion means an invariant is broken: the process must stop rather
 * than go on with state it cannot trust. Caught only at the top of the process.
 */
export class InvariantError extends Error {
  override readonly name = 'InvariantError';
}

export function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new InvariantError(message);
}

/** Exhaustiveness check for `switch` over a union. */
export function unreachable(value: never): never {
  throw new InvariantError(`Unreachable value: ${JSON.stringify(value)}`);
}
