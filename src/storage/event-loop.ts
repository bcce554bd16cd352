/** Lets timers, I/O callbacks and other groups' work run before the next bounded step. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
