import { resourceUsage } from 'node:process';

/**
 * Samples the process's resident set size while work runs (onnxruntime allocates outside the JS
 * heap, so heap statistics miss it). `sample()` can also be called from progress callbacks.
 */
export class PeakMemorySampler {
  private peakRss = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly intervalMs = 50) {}

  start(): this {
    this.peakRss = 0;
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    // Never keep the process alive just to sample.
    this.timer.unref();
    return this;
  }

  sample(): void {
    const rss = process.memoryUsage.rss();
    if (rss > this.peakRss) this.peakRss = rss;
  }

  /** Stops sampling; returns the peak RSS seen and the process's lifetime max RSS, in bytes. */
  stop(): { peakRssBytes: number; maxRssBytes: number } {
    this.sample();
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    return { peakRssBytes: this.peakRss, maxRssBytes: resourceUsage().maxRSS * 1024 };
  }
}
