/**
 * A node's TLS files, loaded once at start (a bad file stops the start with a ConfigError naming
 * it) and reloaded without a restart: on SIGHUP and whenever a file's modification time changes.
 * grpc-js asks a CertificateProvider for the current certificate on every new connection, so a
 * rotated certificate serves new connections at once while open ones keep theirs. A reload that
 * finds a broken or mismatched pair logs an error and keeps the pair it had: rotating a
 * certificate must never take a running node off the network.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from '../shared/logger.js';
import { ConfigError, type TlsSettings } from '../server/config.js';

type CaListener = grpc.experimental.CaCertificateUpdateListener;
type IdentityListener = grpc.experimental.IdentityCertificateUpdateListener;

/** How often the files' modification times are checked for a rotation (SIGHUP reloads at once). */
export const TLS_RELOAD_POLL_MS = 5_000;

interface Loaded {
  readonly certificate: Buffer;
  readonly privateKey: Buffer;
  readonly caCertificate: Buffer | undefined;
  /** The certificate's notAfter, logged so an operator sees when the next rotation is due. */
  readonly validTo: string;
  readonly stamp: string;
}

export class TlsMaterial implements grpc.experimental.CertificateProvider {
  private current: Loaded;
  private readonly caListeners = new Set<CaListener>();
  private readonly identityListeners = new Set<IdentityListener>();
  private poll: NodeJS.Timeout | undefined;
  private readonly onHangup = (): void => {
    this.reload('SIGHUP');
  };

  private constructor(readonly settings: TlsSettings, private readonly log: Logger) {
    this.current = loadFiles(settings);
  }

  /** Loads the files now; throws ConfigError naming the file that cannot be used. */
  static load(settings: TlsSettings, log: Logger): TlsMaterial {
    return new TlsMaterial(settings, log);
  }

  get hasCa(): boolean {
    return this.current.caCertificate !== undefined;
  }

  /** Starts reloading on SIGHUP and on file changes; `close()` stops it. */
  watch(): void {
    if (this.poll !== undefined) return;
    process.on('SIGHUP', this.onHangup);
    this.poll = setInterval(() => {
      if (fileStamp(this.settings) !== this.current.stamp) this.reload('file change');
    }, TLS_RELOAD_POLL_MS);
    this.poll.unref();
  }

  close(): void {
    process.off('SIGHUP', this.onHangup);
    if (this.poll !== undefined) clearInterval(this.poll);
    this.poll = undefined;
  }

  /** Re-reads the files; true when the new ones are in use. */
  reload(why: string): boolean {
    let next: Loaded;
    try {
      next = loadFiles(this.settings);
    } catch (err) {
      this.log.error({ err, why }, 'cannot reload the TLS files; still using the ones loaded before');
      return false;
    }
    this.current = next;
    for (const listener of this.identityListeners) listener(this.identityUpdate());
    for (const listener of this.caListeners) listener(this.caUpdate());
    this.log.info({ why, cert: this.settings.certFile, validTo: next.validTo }, 'TLS files reloaded');
    return true;
  }

  /**
   * Credentials for a listening port. `requireClientCert`: refuse a handshake without a
   * certificate that chains to the CA (the peer port always; the client port with
   * --client-cert-auth). Without a CA no client certificate is asked for at all.
   */
  serverCredentials(requireClientCert: boolean): grpc.ServerCredentials {
    if (requireClientCert && !this.hasCa) throw new ConfigError('Client certificates cannot be required without tlsCa');
    // grpc-js names this function's parameters (ca, identity) but passes them on as (identity, ca).
    return grpc.experimental.createCertificateProviderServerCredentials(this, this.hasCa ? this : null, requireClientCert);
  }

  /** Credentials for dialing another node: verify it against the CA and present our certificate. */
  channelCredentials(): grpc.ChannelCredentials {
    return grpc.experimental.createCertificateProviderChannelCredentials(this, this);
  }

  /*
   * The first update is handed over on a microtask, not synchronously: grpc-js's server adds its
   * credentials watcher only after registering these listeners (server.js createHttp2Server,
   * server-credentials.js _addWatcher), so a synchronous update reaches no watcher and the port
   * drops every connection as "unloaded credentials" until the next reload.
   */
  addCaCertificateListener(listener: CaListener): void {
    this.caListeners.add(listener);
    queueMicrotask(() => {
      if (this.caListeners.has(listener)) listener(this.caUpdate());
    });
  }

  removeCaCertificateListener(listener: CaListener): void {
    this.caListeners.delete(listener);
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.add(listener);
    queueMicrotask(() => {
      if (this.identityListeners.has(listener)) listener(this.identityUpdate());
    });
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.delete(listener);
  }

  private caUpdate(): grpc.experimental.CaCertificateUpdate | null {
    return this.current.caCertificate === undefined ? null : { caCertificate: this.current.caCertificate };
  }

  private identityUpdate(): grpc.experimental.IdentityCertificateUpdate {
    return { certificate: this.current.certificate, privateKey: this.current.privateKey };
  }
}

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(`Cannot read the TLS ${what} "${path}": ${(err as Error).message}`);
  }
}

/** Reads and checks all three files: parseable, and the key belongs to the certificate. */
function loadFiles(settings: TlsSettings): Loaded {
  const stamp = fileStamp(settings);
  const certificate = readPem(settings.certFile, 'certificate (tlsCert)');
  const privateKey = readPem(settings.keyFile, 'key (tlsKey)');
  const caCertificate = settings.caFile === undefined ? undefined : readPem(settings.caFile, 'CA (tlsCa)');
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certificate);
  } catch (err) {
    throw new ConfigError(`TLS certificate "${settings.certFile}" is not a PEM certificate: ${(err as Error).message}`);
  }
  try {
    if (!cert.checkPrivateKey(createPrivateKey(privateKey))) {
      throw new ConfigError(`TLS key "${settings.keyFile}" does not belong to the certificate "${settings.certFile}"`);
    }
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`TLS key "${settings.keyFile}" is not a PEM private key: ${(err as Error).message}`);
  }
  if (caCertificate !== undefined) {
    try {
      new X509Certificate(caCertificate);
    } catch (err) {
      throw new ConfigError(`TLS CA "${settings.caFile}" is not a PEM certificate: ${(err as Error).message}`);
    }
  }
  return { certificate, privateKey, caCertificate, validTo: cert.validTo, stamp };
}

/** Modification times and sizes of the files; a change means someone rotated them. */
function fileStamp(settings: TlsSettings): string {
  return [settings.certFile, settings.keyFile, settings.caFile].map((path) => {
    if (path === undefined) return '-';
    try {
      const stat = statSync(path);
      return `${stat.mtimeMs}:${stat.size}`;
    } catch {
      return 'missing';
    }
  }).join('|');
}
