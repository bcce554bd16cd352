/**
 * Who a peer is, by its TLS certificate. On the mutual-TLS peer port grpc-js has already checked
 * that the certificate chains to the cluster CA; here we read which node it names: the subject CN
 * `node-<id>`, or, for a certificate without one, a SAN URI `raftkv:node:<id>`. The node id a
 * peer declares in its metadata or Hello is only believed when it is the same node.
 */
import type { PeerCertificate } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { nodeId, type NodeId } from '../shared/ids.js';

export type CertifiedPeer =
  | { readonly ok: true; readonly node: NodeId; readonly subject: string }
  | { readonly ok: false; readonly code: grpc.status; readonly details: string };

const CN_PATTERN = /^node-([1-9]\d{0,15})$/;
const SAN_PATTERN = /(?:^|,\s*)URI:raftkv:node:([1-9]\d{0,15})(?:,|$)/;

/** The node a verified peer certificate names; refused when there is none or it names no node. */
export function certifiedPeer(certificate: PeerCertificate | undefined): CertifiedPeer {
  if (certificate === undefined || Object.keys(certificate).length === 0) {
    return { ok: false, code: grpc.status.UNAUTHENTICATED, details: 'Cannot accept peer: it presented no TLS certificate' };
  }
  const cn = typeof certificate.subject?.CN === 'string' ? certificate.subject.CN : '';
  const subject = `CN=${cn}`;
  const match = CN_PATTERN.exec(cn) ?? SAN_PATTERN.exec(certificate.subjectaltname ?? '');
  const id = Number(match?.[1]);
  if (match === null || !Number.isSafeInteger(id)) {
    return {
      ok: false, code: grpc.status.UNAUTHENTICATED,
      details: `Cannot accept peer: its certificate (${subject}) names no node; node certificates carry CN node-<id> or SAN URI raftkv:node:<id>`,
    };
  }
  return { ok: true, node: nodeId(id), subject };
}
