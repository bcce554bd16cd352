// Goal: the client port speaks TLS when a node has a certificate, refuses clients without an
// acceptable certificate under --client-cert-auth, and every refusal reaches the SDK and kvctl as
// a clear "TLS handshake with <address> failed: <why>" (not grpc's bare "No connection
// established"); a certificate replaced on disk serves new connections without a restart.
// Method: two single-node clusters (TLS; TLS with client certificates required), real processes
// and sockets; certificates made with openssl as `raftkv dev --tls` makes them.
import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { createClient, type ClientTlsOptions } from '../../src/client/kv-client.js';
import { loadClientTls } from '../../src/client/client-tls.js';
import { kvctl } from '../e2e/kvctl-process.js';
import { makeCa, makeCert } from '../support/certs.js';
import { pollUntil } from './cluster.js';
import { useCluster } from './use-cluster.js';

const dir = mkdtempSync(join(tmpdir(), 'raftkv-tls-it-'));
const ca = makeCa(dir);
const otherCa = makeCa(dir, 'other-ca');
const node = makeCert(dir, ca, { name: 'node-1', commonName: 'node-1' });
// The first node serves from copies, so the rotation test can replace them.
const live = { certFile: join(dir, 'live.crt'), keyFile: join(dir, 'live.key') };
copyFileSync(node.certFile, live.certFile);
copyFileSync(node.keyFile, live.keyFile);
const alice = makeCert(dir, ca, { name: 'alice', commonName: 'alice' });
const mallory = makeCert(dir, otherCa, { name: 'mallory', commonName: 'alice' });
const expired = makeCert(dir, ca, { name: 'expired', commonName: 'alice', days: -1 });

const withCa: ClientTlsOptions = { caFile: ca.certFile };
const asAlice: ClientTlsOptions = { caFile: ca.certFile, certFile: alice.certFile, keyFile: alice.keyFile };

const tlsOnly = useCluster({ size: 1, flags: ['--tls-cert', live.certFile, '--tls-key', live.keyFile, '--tls-ca', ca.certFile], clientTls: loadClientTls(withCa) });
const mutual = useCluster({
  size: 1, flags: ['--tls-cert', node.certFile, '--tls-key', node.keyFile, '--tls-ca', ca.certFile, '--client-cert-auth'], clientTls: loadClientTls(asAlice),
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The error a get through the SDK fails with. */
async function getError(address: string, tls: ClientTlsOptions | undefined): Promise<Error & { grpcCode?: number }> {
  const client = createClient({ endpoints: [address], defaultDeadlineMs: 3_000, ...(tls === undefined ? {} : { tls }) });
  try {
    await client.get('tls/x');
  } catch (error) {
    return error as Error & { grpcCode?: number };
  } finally {
    client.close();
  }
  throw new Error('The get succeeded');
}

/** The serial number of the certificate the node serves to a new connection. */
function servedSerial(address: string): Promise<string> {
  const [host, port] = address.split(':');
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port: Number(port), ca: readFileSync(ca.certFile), ALPNProtocols: ['h2'] }, () => {
      resolve(socket.getPeerCertificate().serialNumber);
      socket.destroy();
    });
    socket.once('error', reject);
  });
}

function serialOf(certFile: string): string {
  return new X509Certificate(readFileSync(certFile)).serialNumber;
}

describe('client port TLS', () => {
  it('serves puts and gets to the SDK and kvctl that trust the CA', async () => {
    const address = tlsOnly().address(1);
    const client = createClient({ endpoints: [address], tls: withCa });
    await client.put('tls/sdk', 'v1');
    expect((await client.get('tls/sdk'))?.text()).toBe('v1');
    client.close();
    const put = await kvctl(['--endpoints', address, '--cacert', ca.certFile, 'put', 'tls/cli', 'v2']);
    expect(put.code, put.stderr).toBe(0);
    const get = await kvctl(['--endpoints', address, '--cacert', ca.certFile, 'get', 'tls/cli']);
    expect(get.stdout).toContain('v2');
  });

  it('tells a client without the CA that the handshake failed and why', async () => {
    const address = tlsOnly().address(1);
    const plaintext = await getError(address, undefined);
    expect(plaintext.message).toContain(`TLS handshake with ${address} failed: the server requires TLS`);
    expect(plaintext.grpcCode).toBe(14);
    const untrusted = await getError(address, {});
    expect(untrusted.message).toContain(`TLS handshake with ${address} failed: the server certificate is not signed by a trusted CA`);
    const cli = await kvctl(['--endpoints', address, 'get', 'tls/cli']);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain(`kvctl: TLS handshake with ${address} failed: the server requires TLS; pass the cluster CA`);
  });

  it('serves a certificate replaced on disk to new connections without a restart', async () => {
    const address = tlsOnly().address(1);
    expect(await servedSerial(address)).toBe(serialOf(node.certFile));
    const next = makeCert(dir, ca, { name: 'node-1-next', commonName: 'node-1' });
    copyFileSync(next.keyFile, live.keyFile);
    copyFileSync(next.certFile, live.certFile);
    const wanted = serialOf(next.certFile);
    // The node checks its files every 5 s (or at once on SIGHUP): poll, bounded.
    await pollUntil('the rotated certificate to be served', 20_000, async () => ((await servedSerial(address)) === wanted ? true : undefined), 250);
    const client = createClient({ endpoints: [address], tls: withCa });
    await client.put('tls/after-rotation', 'ok');
    client.close();
  });
});

describe('client port TLS with --client-cert-auth', () => {
  it('serves a client whose certificate the CA signed, and kvctl shows who it ran as', async () => {
    const address = mutual().address(1);
    const client = createClient({ endpoints: [address], tls: asAlice });
    await client.put('mtls/a', '1');
    expect((await client.get('mtls/a'))?.text()).toBe('1');
    client.close();
    const status = await kvctl(['--endpoints', address, '--cacert', ca.certFile, '--cert', alice.certFile, '--key', alice.keyFile, 'endpoint', 'status']);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stderr).toContain(`TLS: on, server cert CN node-1 (${address}), client cert CN alice`);
  });

  it.each([
    ['no certificate', withCa, 'the server requires a client certificate'],
    ['a certificate from another CA', { ...withCa, certFile: mallory.certFile, keyFile: mallory.keyFile }, 'the server refused the client certificate: unknown CA'],
    ['an expired certificate', { ...withCa, certFile: expired.certFile, keyFile: expired.keyFile }, 'the server refused the client certificate: certificate has expired'],
  ])('refuses a client with %s, and the SDK says why', async (_what, tls, why) => {
    const address = mutual().address(1);
    const error = await getError(address, tls);
    expect(error.message).toContain(`TLS handshake with ${address} failed: ${why}`);
    expect(error.grpcCode).toBe(14);
  });

  it('kvctl names the refused certificate', async () => {
    const address = mutual().address(1);
    const result = await kvctl(['--endpoints', address, '--cacert', ca.certFile, '--cert', expired.certFile, '--key', expired.keyFile, 'get', 'mtls/a']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`kvctl: TLS handshake with ${address} failed: the server refused the client certificate: certificate has expired`);
  });
});
