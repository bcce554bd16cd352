import { describe, expect, it } from 'vitest';
import { clientAddressOf, defaultPeerAddress, memberRecord, peerAddressOf } from '../../../src/shared/member-address.js';

describe('member records', () => {
  it('read a record from before the peer port as the client address with the default peer port', () => {
    expect([clientAddressOf('h:7001'), peerAddressOf('h:7001')]).toEqual(['h:7001', 'h:8001']);
  });

  it('carry a peer address after @ only when it is not the default', () => {
    expect(memberRecord('h:7001', 'h:8001')).toBe('h:7001');
    expect(memberRecord('h:7001', 'p:9001')).toBe('h:7001@p:9001');
    expect([clientAddressOf('h:7001@p:9001'), peerAddressOf('h:7001@p:9001')]).toEqual(['h:7001', 'p:9001']);
  });

  it('have no default peer port past 65535', () => {
    expect(defaultPeerAddress('h:64535')).toBe('h:65535');
    expect(defaultPeerAddress('h:64536')).toBeUndefined();
  });
});
