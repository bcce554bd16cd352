/**
 * `kvctl snapshot save FILE`: a backup archive of every group (snapshot-save.ts).
 * `kvctl snapshot status FILE`: checks an archive end to end (sha256 of the file and of each
 * group) and prints what it holds; a truncated or corrupted archive is an error (exit 1).
 */
import type { BackupManifest } from '../../shared/backup-archive.js';
import { verifyBackup } from '../../shared/backup-archive.js';
import { expectArgs, UsageError } from './args.js';
import { EXIT, type Command, type CommandContext } from './context.js';
import { saveBackup } from './snapshot-save.js';

const SHA_SHOWN_CHARS = 16;

function groupRows(manifest: BackupManifest): string[][] {
  return manifest.groups.map((g) => [String(g.group), String(g.index), String(g.term), String(g.bytes), g.sha256.slice(0, SHA_SHOWN_CHARS)]);
}

function describe(manifest: BackupManifest): string {
  const count = manifest.groups.length - 1;
  const data = manifest.sharded ? `${count} data group${count === 1 ? '' : 's'} and the meta group, shard map epoch ${manifest.epoch}` : 'one unsharded group';
  return `${data}, format ${manifest.formatVersion}, saved ${new Date(manifest.savedAtMs).toISOString()}`;
}

async function save(context: CommandContext, file: string): Promise<void> {
  const saved = await saveBackup(context, file);
  context.out.show({
    note: `Saved ${describe(saved)} to ${file} (${saved.bytes} bytes)`,
    columns: ['GROUP', 'INDEX', 'TERM', 'BYTES', 'SHA256'],
    rows: groupRows(saved),
    json: { file, ...saved },
  });
}

async function status(context: CommandContext, file: string): Promise<void> {
  const manifest = await verifyBackup(file);
  context.out.show({
    note: `Backup ${file} is intact: ${describe(manifest)}`,
    columns: ['GROUP', 'INDEX', 'TERM', 'BYTES', 'SHA256'],
    rows: groupRows(manifest),
    json: { file, ...manifest },
  });
}

export const snapshotCommand: Command = {
  name: 'snapshot',
  usage: ['snapshot save FILE', 'snapshot status FILE'],
  brief: 'snapshot save|status FILE',
  summary: 'back up every group to FILE, or check a backup',
  details: 'save: one archive with every group\'s snapshot and a manifest (the timeout bounds each group\'s transfer); '
    + 'status: verify an archive\'s checksums and list its groups. Restore with `raftkv restore --from FILE` (docs/node.md)',
  flags: {},
  async run(context) {
    const [verb, ...rest] = context.args;
    if (verb !== 'save' && verb !== 'status') {
      throw new UsageError(verb === undefined ? 'snapshot: missing save or status' : `snapshot: unknown subcommand "${verb}" (save, status)`, 'snapshot');
    }
    const [file = ''] = expectArgs(rest, ['FILE'], `snapshot ${verb}`);
    await (verb === 'save' ? save(context, file) : status(context, file));
    return EXIT.ok;
  },
};
