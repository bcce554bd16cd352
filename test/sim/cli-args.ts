/** Argument parsing shared by the simulator CLIs (cli.ts, multi/cli.ts). */

export function parseCount(text: string, what: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${what} must be a non-negative integer, got "${text}"`);
  return value;
}
