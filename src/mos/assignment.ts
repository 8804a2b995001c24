import { shuffled } from './random.js';

export interface TrialLoad {
  trialId: number;
  isTrap: boolean;
  /** How many raters already rated this trial. */
  rated: number;
  /** How many raters were given it (rated or still pending). */
  assigned: number;
}

/**
 * Picks the next batch of trials for one rater: the least-rated trials first, then the least
 * assigned (so raters starting together spread out, while abandoned sessions do not hold trials
 * back forever), remaining ties broken at random, never a trial the rater already has, traps mixed
 * in (never a batch of traps only), final order shuffled. Pure so it can be tested; the store runs
 * it inside a transaction.
 */
export function pickTrials(
  loads: readonly TrialLoad[],
  alreadyAssigned: ReadonlySet<number>,
  regular: number,
  traps: number,
  rand: () => number,
): number[] {
  const leastFirst = (xs: TrialLoad[]): TrialLoad[] =>
    shuffled(xs, rand).sort((a, b) => a.rated - b.rated || a.assigned - b.assigned); // stable sort: shuffle = tie-break
  const open = loads.filter((l) => !alreadyAssigned.has(l.trialId));
  const systemPages = leastFirst(open.filter((l) => !l.isTrap)).slice(0, regular);
  // Traps only ride along with real pages: a batch of traps alone would be recognisable.
  if (systemPages.length === 0) return [];
  const picked = [...systemPages, ...leastFirst(open.filter((l) => l.isTrap)).slice(0, traps)];
  return shuffled(picked, rand).map((l) => l.trialId);
}
