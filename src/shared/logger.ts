/**
 * The one root logger (pino) and the adapter that hands the Raft core its narrow CoreLogger.
 * JSON to stdout, synchronously, so a crash keeps its last lines; pretty-printing happens outside.
 */
import { pino, type Logger } from 'pino';
import type { CoreLogger } from '../raft/logger.js';

export type { Logger } from 'pino';

export function createRootLogger(level: string, fields: Record<string, unknown> = {}): Logger {
  return pino({ level, base: fields }, pino.destination({ dest: 1, sync: true }));
}

/** A child logger for one group's core: every Raft line then carries node and group. */
export function coreLoggerFrom(log: Logger): CoreLogger {
  return {
    debug: (fields, message) => log.debug(fields, message),
    info: (fields, message) => log.info(fields, message),
    warn: (fields, message) => log.warn(fields, message),
  };
}
