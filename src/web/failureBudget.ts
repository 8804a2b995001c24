/**
 * A shared budget of failures (wrong admin secrets) over a sliding window, across all clients:
 * per-address limits alone let an attacker with many addresses keep guessing. Once `max`
 * failures fall inside the window, every attempt is refused until the oldest ages out. In memory:
 * a restart resets it.
 */
export class FailureBudget {
  private readonly times: number[] = [];

  constructor(
    readonly max: number,
    readonly windowMs: number,
  ) {}

  private prune(now: number): void {
    while (this.times.length > 0 && this.times[0] <= now - this.windowMs) this.times.shift();
  }

  /** Whether the budget is spent (attempts must be refused without checking them). */
  exhausted(now: number): boolean {
    this.prune(now);
    return this.times.length >= this.max;
  }

  /** Milliseconds until the next attempt is allowed (0 when not exhausted). */
  retryAfterMs(now: number): number {
    return this.exhausted(now) ? this.times[0] + this.windowMs - now : 0;
  }

  record(now: number): void {
    this.prune(now);
    this.times.push(now);
  }
}
