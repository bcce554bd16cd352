// Goal: issue #13 item 2, the peer half. With TLS on, the peer port is mutual TLS and a peer is the
// node its certificate names: the forged AppendEntries of issue #13 (a member's id in metadata, the
// current term, index commit+1, a Put) was appended and applied by a follower over the old shared
// plaintext port. Now, from no certificate, a certificate of another CA, a cluster-CA certificate
// naming a node that is no member, one naming another node than the forger claims, and a client
// (user) certificate, the forged stream is refused, and every replica stays identical. Also: a node
// certificate rotated on disk serves new peer connections without a restart. Method: a real
// 3-node TLS cluster (one group), certificates made with openssl (test/support/certs.ts).
import { readFileSync, renameSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeKvCommand } from '../../src/storage/kv-command-codec.js';
import { PeerStub } from '../../src/server/peer-calls.js';
import { makeCa, makeCert, type CertFiles } from '../support/certs.js';
import { loadClientTls } from '../../src/client/client-tls.js';
import { forgedAppend, forgedEntry, PeerForger } from '../support/peer-forger.js';
import { pollUntil } from './cluster.js';
import { useCluster } from './use-cluster.js';
import { LINEARIZABLE, get, onLeader, putRequest } from './kv-helpers.js';

const certDir = mkdtempSync(join(tmpdir(), 'raftkv-peer-mtls-'));
const ca = makeCa(certDir);
const nodeCert = (id: number): CertFiles => makeCert(certDir, ca, { name: `node-${id}`, commonName: `node-${id}` });
const nodes = new Map([1, 2, 3].map((id) => [id, nodeCert(id)]));
const forgers: PeerForger[] = [];

function tlsFlags(files: CertFiles): string[] {
  return ['--tls-cert', files.certFile, '--tls-key', files.keyFile, '--tls-ca', ca.certFile];
}

const options = Object.fromEntries([...nodes].map(([id, files]) => [id, { flags: tlsFlags(files) }]));
// The client port serves TLS too (no client certificates): the test's stubs trust the CA.
const started = useCluster({ size: 3, nodes: options, clientTls: loadClientTls({ caFile: ca.certFile }) });
afterAll(async () => {
  for (const forger of forgers) forger.close();
  rmSync(certDir, { recursive: true, force: true });
});

const pem = (path: string): Buffer => readFileSync(path);
const withCert = (files: CertFiles): grpc.ChannelCredentials => grpc.credentials.createSsl(pem(ca.certFile), pem(files.keyFile), pem(files.certFile));

/** The attacks: who connects, with what, claiming which node, and the status it must get. */
function attempts(member: number): { what: string; credentials: grpc.ChannelCredentials; claim: number; code: grpc.status; details?: string }[] {
  const otherCa = makeCa(join(certDir, 'other'), 'other-ca');
  const stranger = makeCert(certDir, ca, { name: 'node-9', commonName: 'node-9' });
  const user = makeCert(certDir, ca, { name: 'alice', commonName: 'alice' });
  const unavailable = grpc.status.UNAVAILABLE;
  return [
    { what: 'plaintext', credentials: grpc.credentials.createInsecure(), claim: member, code: unavailable },
    { what: 'no certificate', credentials: grpc.credentials.createSsl(pem(ca.certFile)), claim: member, code: unavailable },
    { what: 'another CA', credentials: withCert(makeCert(join(certDir, 'other'), otherCa, { name: `node-${member}`, commonName: `node-${member}` })), claim: member, code: unavailable },
    { what: 'a non-member node', credentials: withCert(stranger), claim: 9, code: grpc.status.PERMISSION_DENIED, details: 'not in the peer list' },
    { what: 'a non-member node claiming a member', credentials: withCert(stranger), claim: member, code: grpc.status.PERMISSION_DENIED, details: 'names node "9", but it claims to be node' },
    { what: 'a client certificate', credentials: withCert(user), claim: member, code: grpc.status.UNAUTHENTICATED, details: 'CN=alice' },
  ];
}

describe('the mutual-TLS peer port', () => {
  it('refuses forged peer streams from anyone without the right node certificate; replicas stay identical', async () => {
    const c = started();
    await onLeader(c, 'Put', putRequest('mtls/before', 'real'));
    const leader = await c.waitForLeader();
    const status = await c.status(leader);
    const forgedPut = encodeKvCommand({ type: 'put', key: Buffer.from('mtls/forged'), value: Buffer.from('forged'), timeMs: Date.now() });
    const e = (to: number) => ({ group: 0, from: leader, to, term: status.term });
    const followers = c.ids().filter((id) => id !== leader);
    for (const attempt of attempts(leader)) {
      for (const to of followers) {
        const forger = new PeerForger(c.peerAddress(to), attempt.claim, 'raftkv', attempt.credentials);
        forgers.push(forger);
        forger.sendBatch([forgedAppend(e(to), {
          prevLogIndex: status.commitIndex, prevLogTerm: status.term, commit: status.commitIndex + 1,
          entries: [forgedEntry(status.commitIndex + 1, status.term, forgedPut)],
        })], attempt.claim);
        const refused = await pollUntil(`the ${attempt.what} stream to node ${to} to end`, 20_000, () => Promise.resolve(forger.lastStatus ?? undefined));
        expect([attempt.what, refused.code], refused.details).toEqual([attempt.what, attempt.code]);
        if (attempt.details !== undefined) expect(refused.details).toContain(attempt.details);
      }
    }
    for (const to of followers) {
      const stats = await c.stub(to).callCluster('NodeStats', {}, { deadlineMs: 2_000 });
      expect(Number((stats['peerMessagesRefused'] as Record<string, unknown>)['peerIdentity'])).toBe(3);
      expect(c.logText(to)).toContain('refused peer stream');
    }
    await onLeader(c, 'Put', putRequest('mtls/after', 'real'));
    for (const id of c.ids()) {
      expect((await get(c.stub(id), 'mtls/forged', LINEARIZABLE))).toBeNull();
      expect((await get(c.stub(id), 'mtls/after', LINEARIZABLE))?.value).toBe('real');
    }
  });

  it('answers node-to-node calls on the peer port to member certificates only', async () => {
    const c = started();
    const stranger = makeCert(certDir, ca, { name: 'node-8', commonName: 'node-8' });
    const user = makeCert(certDir, ca, { name: 'bob', commonName: 'bob' });
    const member = new PeerStub(c.peerAddress(1), withCert(nodes.get(2) ?? stranger));
    const outsiders = [new PeerStub(c.peerAddress(1), withCert(stranger)), new PeerStub(c.peerAddress(1), withCert(user))];
    try {
      expect((await member.call('GroupHashes', {}, 5_000))['nodeId']).toBe('1');
      expect((await member.call('ListAlarms', { localOnly: true }, 5_000))['nodeId']).toBe('1');
      const refusals = await Promise.all(outsiders.map((stub) => stub.call('ListAlarms', {}, 5_000).then(() => null, (err: grpc.ServiceError) => [err.code, err.details])));
      expect(refusals).toEqual([
        [grpc.status.PERMISSION_DENIED, expect.stringContaining('CN=node-8')],
        [grpc.status.UNAUTHENTICATED, expect.stringContaining('CN=bob')],
      ]);
    } finally {
      for (const stub of [member, ...outsiders]) stub.close();
    }
  });

  it('serves a node certificate rotated on disk to new peer connections, without a restart', async () => {
    const c = started();
    const node = 1;
    const files = nodes.get(node);
    if (files === undefined) throw new Error('no certificate for node 1');
    const before = await servedFingerprint(c.peerAddress(node));
    const next = makeCert(join(certDir, 'rotated'), ca, { name: `node-${node}`, commonName: `node-${node}` });
    renameSync(next.keyFile, files.keyFile);
    renameSync(next.certFile, files.certFile);
    const after = await pollUntil('node 1 to serve its rotated certificate', 30_000, async () => {
      const served = await servedFingerprint(c.peerAddress(node));
      return served === before ? undefined : served;
    });
    expect(after).toBe(new (await import('node:crypto')).X509Certificate(pem(files.certFile)).fingerprint256);
    // The other nodes accept the new certificate as node 1's: the cluster still commits.
    await onLeader(c, 'Put', putRequest('mtls/rotated', 'ok'));
    expect((await get(c.stub(node), 'mtls/rotated', LINEARIZABLE))?.value).toBe('ok');
  });
});

/** The SHA-256 fingerprint of the certificate a new TLS connection to `address` is served. */
function servedFingerprint(address: string): Promise<string> {
  const colon = address.lastIndexOf(':');
  const peer = nodes.get(2);
  if (peer === undefined) throw new Error('no certificate for node 2');
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({
      host: address.slice(0, colon), port: Number(address.slice(colon + 1)), ca: pem(ca.certFile),
      cert: pem(peer.certFile), key: pem(peer.keyFile), ALPNProtocols: ['h2'], servername: 'localhost',
    }, () => {
      const fingerprint = socket.getPeerCertificate().fingerprint256;
      socket.destroy();
      resolve(fingerprint);
    });
    socket.on('error', reject);
  });
}
