/**
 * The progress line on stderr: which step of how many, which phase, how long the phase and the
 * whole run still take (estimated), and the last second's successes and errors. On a terminal the
 * line is rewritten in place; otherwise a line is printed on each phase change and every 5 s.
 */
export interface StepEstimate {
  readonly label: string;
  readonly seconds: number;
}

const plainPrintEveryMs = 5_000;

const clock = (seconds: number): string => {
  const s = Math.max(0, Math.round(seconds));
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
};

export class Progress {
  private stepIndex = -1;
  private stepStartedMs = 0;
  private phaseText = '';
  private phaseEndMs: number | undefined;
  private ok = 0;
  private errors = 0;
  private lastLine = '';
  private lastPrintMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly tty = process.stderr.isTTY === true;

  constructor(private readonly steps: readonly StepEstimate[]) {}

  start(): void {
    this.timer = setInterval(() => this.render(false), 1000);
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    if (this.tty) process.stderr.write('\n');
  }

  nextStep(): void {
    this.stepIndex++;
    this.stepStartedMs = Date.now();
    this.phase('starting');
  }

  phase(text: string, seconds?: number): void {
    this.phaseText = text;
    this.phaseEndMs = seconds === undefined ? undefined : Date.now() + seconds * 1000;
    this.render(true);
  }

  /** Counts from a generator for its last second (several generators add up). */
  onSecond = (ok: number, errors: number): void => {
    this.ok += ok;
    this.errors += errors;
  };

  /** A line that stays (results, warnings), printed above the progress line. */
  note(text: string): void {
    if (this.tty) process.stderr.write('\r\x1b[2K');
    process.stderr.write(`${text}\n`);
    if (this.tty && this.lastLine !== '') process.stderr.write(this.lastLine);
  }

  private remainingRunSeconds(): number {
    const current = this.steps[this.stepIndex];
    const elapsed = (Date.now() - this.stepStartedMs) / 1000;
    const rest = this.steps.slice(this.stepIndex + 1).reduce((sum, s) => sum + s.seconds, 0);
    return rest + Math.max(0, (current?.seconds ?? 0) - elapsed);
  }

  private render(force: boolean): void {
    const step = this.steps[this.stepIndex];
    if (step === undefined) return;
    const phaseLeft = this.phaseEndMs === undefined ? '' : ` · ${clock((this.phaseEndMs - Date.now()) / 1000)} left`;
    const rate = this.phaseEndMs === undefined ? '' : ` · ${this.ok.toLocaleString('en-US')} ok/s · ${this.errors} err/s`;
    this.ok = 0;
    this.errors = 0;
    const line = `[${this.stepIndex + 1}/${this.steps.length} ${step.label}] ${this.phaseText}${phaseLeft}${rate} · run ≈${clock(this.remainingRunSeconds())} left`;
    this.lastLine = line;
    if (this.tty) {
      process.stderr.write(`\r\x1b[2K${line}`);
    } else if (force || Date.now() - this.lastPrintMs >= plainPrintEveryMs) {
      process.stderr.write(`${line}\n`);
      this.lastPrintMs = Date.now();
    }
  }
}
