/**
 * Simulated raters for a MOS test: they go through the same store calls as the web pages
 * (assignment, playback start/end, ratings), so a notebook or a dry run exercises the whole
 * pipeline — import, assignment, screening, statistics — before any human is invited.
 * The scores are made up: never report them as results.
 */
import { mixSeed, seededRandom } from '../mos/random.js';
import { SCALE_INFO } from '../mos/scales.js';
import type { ClipRow, MosStore } from '../mos/store.js';

export interface SimulatedRatersOptions {
  /** Number of raters (default 8). */
  raters?: number;
  /** Mean score of a system's clips, on the 0..1 fraction of the scale (default 0.6). */
  quality?: (system: string) => number;
  /** Spread of rater offsets and of single ratings, as fractions of the scale (defaults 0.08, 0.12). */
  raterSpread?: number;
  noise?: number;
  /**
   * Raters (counted from the last) who click at random and miss the traps (rate them in the upper
   * half of the scale), so screening has someone to catch.
   */
  careless?: number;
  seed?: number;
}

export interface SimulationSummary {
  raters: number;
  ratings: number;
}

/** Standard normal draw from a uniform source (Box-Muller). */
function gaussian(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

/**
 * Adds `raters` simulated raters to the test and has each rate one batch of trials (the test's
 * trials per rater). Traps get the scale minimum from attentive raters; MUSHRA hidden references
 * get near the maximum and anchors low scores, as attentive listeners give them.
 */
export function simulateRaters(store: MosStore, testName: string, opts: SimulatedRatersOptions = {}): SimulationSummary {
  const test = store.testByName(testName);
  const scale = SCALE_INFO[test.scale];
  const systems = store.systemNames(test.setId);
  const count = opts.raters ?? 8;
  const careless = opts.careless ?? 0;
  const quality = opts.quality ?? (() => 0.6);
  const rand = seededRandom(mixSeed(opts.seed ?? 0, test.id));
  const toScale = (fraction: number): number => {
    const v = scale.min + Math.min(1, Math.max(0, fraction)) * (scale.max - scale.min);
    return scale.integer ? Math.round(v) : v;
  };
  let ratings = 0;
  for (let r = 0; r < count; r++) {
    const rater = store.createRater(test.id, `simulated-${r + 1}`);
    const isCareless = r >= count - careless;
    const offset = gaussian(rand) * (opts.raterSpread ?? 0.08);
    store.assignBatch(rater.id);
    let clock = Date.now();
    for (const a of store.assignmentsOf(rater)) {
      if (a.completed) continue;
      const scores = new Map<number, number>();
      for (const clip of a.clips) {
        // The server only accepts ratings of clips that played to the end.
        store.playStarted(a.id, clip.id, clock);
        clock += Math.ceil(clip.durationS * 1000);
        store.playEnded(a.id, clip.id, clock, 0);
        const fraction = isCareless
          ? (clip.kind === 'trap' ? 0.5 + 0.5 * rand() : rand())
          : fractionFor(clip, systems, quality) + offset + gaussian(rand) * (opts.noise ?? 0.12);
        scores.set(clip.id, toScale(fraction));
      }
      store.saveRatings(a.id, scores);
      ratings += scores.size;
    }
  }
  return { raters: count, ratings };
}

function fractionFor(clip: ClipRow, systems: Map<number, string>, quality: (system: string) => number): number {
  switch (clip.kind) {
    case 'trap':
      return -1; // clamped to the scale minimum
    case 'hidden_reference':
    case 'reference':
      return 0.97;
    case 'anchor35':
      return 0.15;
    case 'anchor70':
      return 0.35;
    default:
      return quality(clip.systemId === null ? '' : (systems.get(clip.systemId) ?? ''));
  }
}
