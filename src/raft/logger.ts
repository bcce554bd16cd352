/**
 * The only logging surface the core sees. The server passes a child of its root logger; the simulator and the
 * scenario runner pass capturing loggers. Fields first, then a short constant message.
 */
export type LogFields = Readonly<Record<string, unknown>>;

export interface CoreLogger {
  debug(fields: LogFields, message: string): void;
  info(fields: LogFields, message: string): void;
  warn(fields: LogFields, message: string): void;
}

export const silentLogger: CoreLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
};
