/**
 * A node started with --join on a sharded cluster registers itself: it asks the nodes it was
 * given (following NOT_LEADER hints to the meta leader) to add it to the shard map, retrying every
 * second until one accepts. The meta leader then makes it a meta learner, and the balancer moves
 * replicas onto it.
 */
import type { ChannelCredentials } from '@grpc/grpc-js';
import { KvStub } from '../client/kv-stub.js';
import { KvClientError } from '../client/errors.js';
import type { NodeId } from '../shared/ids.js';
import type { Logger } from '../shared/logger.js';

const RETRY_MS = 1000;
const CALL_DEADLINE_MS = 3000;

export class JoinRequester {
  private timer: NodeJS.Timeout | null = null;
  private done = false;

  constructor(
    private readonly self: NodeId,
    private readonly advertise: string,
    private readonly seeds: readonly string[],
    private readonly log: Logger,
    /** How to dial the seeds' client ports; undefined: plaintext. */
    private readonly credentials?: ChannelCredentials,
  ) {}

  start(): void {
    void this.attempt();
  }

  stop(): void {
    this.done = true;
    if (this.timer !== null) clearTimeout(this.timer);
  }

  private async attempt(): Promise<void> {
    for (const seed of this.seeds) {
      if (this.done) return;
      const accepted = await this.ask(seed) ?? false;
      if (accepted) return;
    }
    if (!this.done) this.timer = setTimeout(() => void this.attempt(), RETRY_MS);
  }

  /** True once registered; follows one NOT_LEADER hint. */
  private async ask(address: string, hops = 0): Promise<boolean | undefined> {
    const stub = new KvStub(address, {}, undefined, this.credentials);
    try {
      const reply = await stub.callCluster('NodeJoin', { nodeId: String(this.self), address: this.advertise }, { deadlineMs: CALL_DEADLINE_MS });
      this.done = true;
      this.log.info({ peer: address, epoch: Number(reply['epoch']) }, 'joined the cluster');
      return true;
    } catch (err) {
      const hint = err instanceof KvClientError ? err.details.leaderAddr : undefined;
      if (hint !== undefined && hint !== address && hops === 0) return this.ask(hint, 1);
      this.log.debug({ peer: address, err }, 'join attempt failed; retrying');
      return false;
    } finally {
      stub.close();
    }
  }
}
