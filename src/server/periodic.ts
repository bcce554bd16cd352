/**
 * A background task of a node run every interval (leader balancing, replica moves, the cluster
 * balancer, replica GC). The timer does not keep the process alive, and an asynchronous round
 * never overlaps the previous one: a slow round just skips the ticks it spans.
 */
export class Periodic {
  private timer: NodeJS.Timeout | null = null;
  private running = false;

  constructor(
    private readonly intervalMs: number,
    private readonly round: () => void | Promise<void>,
    private readonly onStop: () => void = () => undefined,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.runRound(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.onStop();
  }

  private async runRound(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await this.round();
    } finally {
      this.running = false;
    }
  }
}
