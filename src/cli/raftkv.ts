#!/usr/bin/env node
/**
 * The `raftkv` binary: `raftkv serve [flags]` runs one node; `raftkv dev` runs a local cluster of
 * real node processes on loopback; `raftkv restore` founds a node's data dir from a backup
 * (src/server/restore.ts). Exit codes: 0 ok, 1 runtime failure, 2 usage or configuration.
 */
import { ConfigError, loadConfig } from '../server/config.js';
import { packageVersion, runServer } from '../server/main.js';
import { DataFileError } from '../storage/database.js';
import { BackupError } from '../shared/backup-archive.js';
import { parseDevFlags, runDevCluster } from './dev-cluster.js';
import { RESTORE_USAGE, runRestore } from './restore-command.js';
import { CertToolError } from './cert-files.js';

const USAGE = `usage:
  raftkv serve --node-id N --listen HOST:PORT [--peer-listen HOST:PORT] --peers 1=HOST:PORT[@PEERHOST:PORT],... [--data-dir DIR] [--config FILE] [...]
    (the peer port defaults to the --listen port + 1000)
  ${RESTORE_USAGE}
  raftkv dev [--nodes 3] [--base-port 7001] [--data-dir ./data] [--groups N] [--tls]
  raftkv version
Every serve flag can also be set as RAFTKV_<FLAG> (e.g. RAFTKV_DATA_DIR) or in a JSON config file.
See README.md for all settings.`;

async function serve(argv: readonly string[]): Promise<void> {
  const config = loadConfig(argv, process.env);
  const server = await runServer(config);
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.error(`raftkv: ${signal} received, shutting down`);
    server.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

async function main(argv: readonly string[]): Promise<void> {
  const [command, ...rest] = argv;
  // Everything serve, restore and dev write holds data or keys: owner-only, whatever umask this
  // was started under (SQLite creates its files 0644 minus the umask; data-dir-modes.ts also
  // tightens files an older version left readable).
  process.umask(0o077);
  switch (command) {
    case 'serve':
      return serve(rest);
    case 'restore':
      return runRestore(rest);
    case 'dev':
      return runDevCluster(parseDevFlags(rest));
    case 'version':
      console.log(packageVersion());
      return;
    default:
      console.error(USAGE);
      process.exit(command === undefined || command === 'help' || command === '--help' ? 0 : 2);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(`raftkv: ${error.message}`);
    process.exit(2);
  }
  if (error instanceof DataFileError || error instanceof BackupError || error instanceof CertToolError) {
    console.error(`raftkv: ${error.message}`);
    process.exit(1);
  }
  console.error('raftkv:', error);
  process.exit(1);
});
