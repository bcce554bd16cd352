/**
 * The endpoint list of an example: `--endpoints A,B,C`, else KVCTL_ENDPOINTS, else the local
 * cluster that `npm start` runs.
 */
import { parseArgs } from 'node:util';

export function endpointsFromArgs(argv: readonly string[] = process.argv.slice(2)): string[] {
  const { values } = parseArgs({ args: [...argv], options: { endpoints: { type: 'string' } }, strict: false });
  const flag = typeof values.endpoints === 'string' ? values.endpoints : undefined;
  const text = flag ?? process.env['KVCTL_ENDPOINTS'] ?? '127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003';
  return text.split(',').map((e) => e.trim()).filter((e) => e !== '');
}
