/**
 * A group's own snapshot file is read through once when the group opens on this node. Chunks
 * carry checksums of the bytes they send, so a file damaged at rest here would travel intact to
 * every follower that needs a snapshot, and every one of them would refuse it (and serve nothing
 * for the group until restarted). Found damaged, the file is replaced by a fresh snapshot of the
 * applied state, which always covers the old snapshot's index: the tables, not the file, are the
 * state (the SQLite file has checks of its own at open, integrity.ts).
 */
import type { NodeStorage } from '../storage/node-storage.js';
import { SnapshotFileError } from '../storage/snapshot-stream.js';
import type { GroupDriver } from './group-driver.js';

export interface OwnSnapshotHost {
  readonly storage: NodeStorage;
  /** The driver is still the one hosted and the node is not closing. */
  isLive(driver: GroupDriver): boolean;
}

export async function checkOwnSnapshot(host: OwnSnapshotHost, driver: GroupDriver): Promise<void> {
  const file = driver.storage.log.snapshotFileName();
  try {
    await host.storage.checkOwnSnapshot(driver.group);
    if (file !== null && file !== '') driver.logger.info({ file }, 'own snapshot file passed its checks');
  } catch (error) {
    // A compaction may have replaced or deleted the file while it was read: nothing to repair.
    if (!host.isLive(driver) || driver.storage.log.snapshotFileName() !== file) return;
    if (!(error instanceof SnapshotFileError)) throw error;
    driver.logger.error({ err: error }, 'own snapshot file fails its checks; producing a new one from the applied state');
    await reproduce(host, driver);
  }
}

async function reproduce(host: OwnSnapshotHost, driver: GroupDriver): Promise<void> {
  if (driver.producing || driver.installing) return; // That snapshot replaces the damaged file too.
  driver.producing = true;
  try {
    const produced = await host.storage.produceSnapshot(driver.group);
    // At the same index the new file has the damaged one's name and replaced it on rename.
    if (host.isLive(driver)) host.storage.compact(produced);
    driver.logger.info({ index: produced.meta.index, term: produced.meta.term }, 'replaced the damaged snapshot file');
  } finally {
    driver.producing = false;
  }
}
