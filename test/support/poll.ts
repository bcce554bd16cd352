// Bounded waiting for tests that drive real processes: every wait polls a probe until it answers
// or a deadline passes, and the timeout error names what was awaited and the last error seen.
// Shared by the integration harness (test/integration) and the fault runs (test/jepsen).

/** Thrown by a probe to end a poll at once instead of retrying. */
export class PollAborted extends Error {
  override readonly name = 'PollAborted';
}

const pollIntervalMsDefault = 25;

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

/** Polls `probe` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function pollUntil<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, intervalMs = pollIntervalMsDefault): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      if (error instanceof PollAborted) throw error;
      lastError = error;
    }
    if (performance.now() > deadline) {
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
    }
    await sleep(intervalMs);
  }
}
