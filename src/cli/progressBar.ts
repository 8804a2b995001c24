/**
 * A one-line terminal progress bar with rate and ETA, redrawn in place on a TTY and printed at
 * most every 10 % otherwise (CI logs stay short). Writes to stderr so stdout stays parseable.
 */
export class ProgressBar {
  private readonly start = Date.now();
  private lastPrinted = -1;
  private readonly tty: boolean;

  constructor(
    private readonly label: string,
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly width = 30,
  ) {
    this.tty = Boolean(stream.isTTY);
  }

  update(done: number, total: number, detail = ''): void {
    const frac = total > 0 ? Math.min(1, done / total) : 0;
    const decile = Math.floor(frac * 10);
    if (!this.tty && decile === this.lastPrinted && done < total) return;
    this.lastPrinted = decile;
    const filled = Math.round(frac * this.width);
    const elapsed = (Date.now() - this.start) / 1000;
    const eta = done > 0 && done < total ? ` eta ${formatSeconds((elapsed / done) * (total - done))}` : '';
    const line = `${this.label} [${'#'.repeat(filled)}${'-'.repeat(this.width - filled)}] ${Number.isInteger(done) ? `${done}/${total}` : `${Math.floor(frac * 100)}%`} ${formatSeconds(elapsed)}${eta}${detail ? ` ${detail}` : ''}`;
    this.stream.write(this.tty ? `\r${line}\x1b[K` : `${line}\n`);
  }

  finish(): void {
    if (this.tty) this.stream.write('\n');
  }
}

export function formatSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
}
