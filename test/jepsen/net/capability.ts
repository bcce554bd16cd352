// Whether this machine can run the real-network tests (namespaces, veths, iptables). Test files
// skip those tests when it cannot, and print why: a skipped fault test must never look like a
// passed one. Only root (CAP_NET_ADMIN) may create namespaces; without it, see proxy-mesh.ts.
import { hasExecutable } from './exec.js';

export interface Capability {
  readonly ok: boolean;
  /** Why not, for the skip message; empty when ok. */
  readonly reason: string;
}

export function realNetworkCapability(): Capability {
  if (process.platform !== 'linux') return { ok: false, reason: `needs Linux, this is ${process.platform}` };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'needs root to create network namespaces (run as root, or use the proxy mesh)' };
  const missing = ['ip', 'iptables', 'iptables-restore'].filter((tool) => !hasExecutable(tool));
  if (missing.length > 0) return { ok: false, reason: `missing ${missing.join(', ')} (apt-get install iproute2 iptables)` };
  return { ok: true, reason: '' };
}

/** Title suffix and console note for a skipped real-network suite. */
export function skipNote(capability: Capability): string {
  if (capability.ok) return '';
  const note = `SKIPPED, real network unavailable: ${capability.reason}`;
  console.warn(`[jepsen/net] ${note}`);
  return ` (${note})`;
}
