/**
 * `raftkv restore`: flag parsing and the report for src/server/restore.ts. Exit codes as serve:
 * 2 for bad flags or a non-empty data dir, 1 for an archive that is refused (truncated, corrupted).
 */
import { ConfigError, parsePeers } from '../server/config.js';
import { restoreNode, type RestoreOptions } from '../server/restore.js';

export const RESTORE_USAGE = 'raftkv restore --from FILE --data-dir DIR --node-id N --peers 1=HOST:PORT,... [--replicas R]';

const FLAGS = ['from', 'data-dir', 'node-id', 'peers', 'replicas'] as const;
type Flag = (typeof FLAGS)[number];

function isFlag(name: string): name is Flag {
  return (FLAGS as readonly string[]).includes(name);
}

export function parseRestoreFlags(argv: readonly string[]): RestoreOptions {
  const values = new Map<Flag, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') ? arg.slice(2, eq < 0 ? undefined : eq) : '';
    if (!isFlag(name)) throw new ConfigError(`Unknown restore argument "${arg}"; usage: ${RESTORE_USAGE}`);
    const value = eq < 0 ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined || value === '') throw new ConfigError(`Flag --${name} needs a value`);
    values.set(name, value);
  }
  const need = (flag: Flag): string => {
    const value = values.get(flag);
    if (value === undefined) throw new ConfigError(`Flag --${flag} is required; usage: ${RESTORE_USAGE}`);
    return value;
  };
  const count = (flag: Flag, text: string): number => {
    const n = Number(text);
    if (!Number.isSafeInteger(n) || n < 1) throw new ConfigError(`Flag --${flag} must be an integer >= 1, got "${text}"`);
    return n;
  };
  const replicas = values.get('replicas');
  return {
    from: need('from'), dataDir: need('data-dir'), nodeId: count('node-id', need('node-id')), peers: parsePeers(need('peers')),
    ...(replicas === undefined ? {} : { replicas: count('replicas', replicas) }),
  };
}

export async function runRestore(argv: readonly string[]): Promise<void> {
  const options = parseRestoreFlags(argv);
  const { manifest, groups, servedGroups } = await restoreNode(options);
  const hosted = new Set<number>(groups);
  const indexes = manifest.groups.filter((g) => hosted.has(g.group)).map((g) => `${g.group}@${g.index}`).join(' ');
  console.log(`Restored groups ${indexes} of ${options.from} into ${options.dataDir} as node ${options.nodeId}.`);
  console.log(`Start it with: raftkv serve --node-id ${options.nodeId} --peers ${[...options.peers].map(([id, a]) => `${id}=${a}`).join(',')} --data-dir ${options.dataDir} --groups ${servedGroups} [--listen ...]`);
}
