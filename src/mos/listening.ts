import { MosInputError, MosRuleError } from './errors.js';

/** A played time range of a clip in seconds, [start, end], as the browser's `audio.played` lists them. */
export type PlayedRange = readonly [number, number];

/** The browser's clip length may differ from ours by a frame or a decoder's padding. */
const LENGTH_TOLERANCE_S = 0.5;

/**
 * Seconds of the clip covered by the union of the played ranges (overlaps counted once, clipped
 * to [0, duration]). Ranges ending past the clip's end by more than a rounding tolerance, or
 * ending before they start, are malformed.
 */
export function coveredSeconds(ranges: readonly PlayedRange[], durationS: number): number {
  for (const [a, b] of ranges)
    if (!(b >= a) || b > durationS + LENGTH_TOLERANCE_S)
      throw new MosInputError(`played range [${a}, ${b}] does not fit a clip of ${durationS.toFixed(2)} s`);
  const sorted = ranges.map(([a, b]) => [Math.min(a, durationS), Math.min(b, durationS)] as const).sort((x, y) => x[0] - y[0]);
  let covered = 0;
  let reach = 0;
  for (const [a, b] of sorted) {
    const from = Math.max(a, reach);
    if (b > from) covered += b - from;
    reach = Math.max(reach, b);
  }
  return covered;
}

/**
 * The first half of the listening evidence: the page's played ranges cover at least
 * `minListenRatio` of the clip. (The second half, that as much time passed on the server's own
 * clock since the clip first started, is checked by MosStore.playEnded.)
 */
export function checkCoverage(ranges: readonly PlayedRange[], durationS: number, minListenRatio: number): void {
  if (coveredSeconds(ranges, durationS) + 1e-6 < durationS * minListenRatio)
    throw new MosRuleError('parts of the clip were skipped; play it through to the end');
}
