import type { PeerCertificate } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { nodeId } from '../../../src/shared/ids.js';
import { admitCertified, admitHello, type LocalIdentity } from '../../../src/transport/hello.js';
import { certifiedPeer } from '../../../src/transport/peer-identity.js';

const local: LocalIdentity = { self: nodeId(1), clusterId: 'blue', address: 'a:1', peerAddress: (node) => (node === 2 ? 'b:1' : undefined) };
const cert = (cn: string, san = ''): PeerCertificate => ({ subject: { CN: cn }, subjectaltname: san } as unknown as PeerCertificate);
const hello = (node: string) => admitHello({ nodeId: node, clusterId: 'blue', address: 'b:1' }, local);

describe('certifiedPeer() and admitCertified()', () => {
  it('takes the node from CN node-<id>, or from a SAN URI raftkv:node:<id>', () => {
    expect(certifiedPeer(cert('node-2'))).toMatchObject({ ok: true, node: 2, subject: 'CN=node-2' });
    expect(certifiedPeer(cert('db host', 'DNS:localhost, URI:raftkv:node:2'))).toMatchObject({ ok: true, node: 2 });
  });

  it.each([
    ['no certificate', undefined, grpc.status.UNAUTHENTICATED, /presented no TLS certificate/],
    ['a user certificate', cert('alice'), grpc.status.UNAUTHENTICATED, /\(CN=alice\) names no node/],
    ['node-0', cert('node-0'), grpc.status.UNAUTHENTICATED, /names no node/],
  ])('refuses %s', (_name, certificate, code, details) => {
    const admission = admitCertified(hello('2'), certifiedPeer(certificate));
    expect(admission).toMatchObject({ ok: false, code });
    if (!admission.ok) expect(admission.details).toMatch(details);
  });

  it('refuses a claim of another node than the certificate names, and a non-peer, naming the subject', () => {
    expect(admitCertified(hello('2'), certifiedPeer(cert('node-9')))).toMatchObject({
      ok: false, code: grpc.status.PERMISSION_DENIED, details: expect.stringContaining('(CN=node-9) names node "9", but it claims to be node "2"'),
    });
    expect(admitCertified(hello('9'), certifiedPeer(cert('node-9')))).toMatchObject({
      ok: false, code: grpc.status.PERMISSION_DENIED, details: expect.stringContaining('not in the peer list of node "1" (certificate CN=node-9)'),
    });
    expect(admitCertified(hello('2'), certifiedPeer(cert('node-2')))).toMatchObject({ ok: true, peer: 2 });
  });
});
