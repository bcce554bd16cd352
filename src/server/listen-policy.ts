/**
 * Plaintext only where nobody else can connect: `raftkv serve` refuses a non-loopback client
 * address without TLS (config.ts) unless --insecure-listen says the operator means it, and then
 * says so loudly at every start.
 */
import type { Logger } from '../shared/logger.js';

/** True for 127.0.0.0/8, ::1 and localhost: only local processes can reach such an address. */
export function isLoopbackAddress(address: string): boolean {
  const host = (/^(.*):\d+$/.exec(address)?.[1] ?? address).replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export interface ListenSettings {
  readonly listen: string;
  readonly tls: unknown;
  readonly insecureListen: boolean;
}

export function warnIfInsecure(settings: ListenSettings, log: Logger): void {
  if (settings.tls !== undefined || !settings.insecureListen || isLoopbackAddress(settings.listen)) return;
  log.warn({ listen: settings.listen },
    'INSECURE: serving plaintext on a non-loopback address (--insecure-listen); anyone who can reach it can read and change every key and run cluster operations; set --tls-cert and --tls-key');
}
