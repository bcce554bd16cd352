/**
 * `kvctl snapshot save FILE`: streams a consistent snapshot of the group into FILE. Writes to
 * FILE.part first and renames it when the stream ends, so FILE is never a partial snapshot.
 */
import { createWriteStream, renameSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { expectArgs, UsageError } from './args.js';
import { EXIT, type Command, type CommandContext } from './context.js';

interface Saved {
  readonly index: number;
  readonly term: number;
  readonly bytes: number;
}

async function save(context: CommandContext, file: string): Promise<Saved> {
  const part = `${file}.part`;
  const out = createWriteStream(part, { flags: 'w' });
  let meta = { index: 0, term: 0 };
  let bytes = 0;
  try {
    for await (const chunk of context.client().snapshotSave()) {
      if (chunk.meta !== undefined) meta = { index: chunk.meta.index, term: chunk.meta.term };
      bytes += chunk.data.byteLength;
      if (!out.write(chunk.data)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
    renameSync(part, file);
    return { ...meta, bytes };
  } catch (error) {
    out.destroy();
    rmSync(part, { force: true });
    throw error;
  }
}

export const snapshotCommand: Command = {
  name: 'snapshot',
  usage: ['snapshot save FILE'],
  brief: 'snapshot save FILE',
  summary: 'save a snapshot of the data to FILE',
  details: "save a consistent snapshot of the group's data to FILE (the timeout bounds the whole transfer)",
  flags: {},
  async run(context) {
    const [verb, ...rest] = context.args;
    if (verb !== 'save') throw new UsageError(verb === undefined ? 'snapshot: missing save' : `snapshot: unknown subcommand "${verb}" (save)`, 'snapshot');
    const [file = ''] = expectArgs(rest, ['FILE'], 'snapshot save');
    const saved = await save(context, file);
    context.out.show({
      note: `Saved snapshot at index ${saved.index} (term ${saved.term}) to ${file}`,
      columns: ['FILE', 'INDEX', 'TERM', 'BYTES'],
      rows: [[file, String(saved.index), String(saved.term), String(saved.bytes)]],
      json: { file, ...saved },
    });
    return EXIT.ok;
  },
};
