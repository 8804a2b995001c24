import { MetricInputError } from '../errors.js';

export interface CodebookTokenStatistics {
  /** Shannon entropy of the codebook's token histogram, in bits (log2(vocab) at most). */
  entropyBits: number;
  /** Distinct tokens / tokens: 1 when no token repeats, 1/n when one token fills the stream. */
  distinctRatio: number;
}

/**
 * Entropy and distinct-token ratio of one codebook's token stream. Low entropy or a low distinct
 * ratio flags repetitive, collapsed output (e.g. greedy decoding or a very high CFG coefficient).
 * Ids outside [0, vocabSize) (the special / pad id) are not counted.
 */
export function codebookTokenStatistics(tokens: ArrayLike<number>, vocabSize: number): CodebookTokenStatistics {
  const counts = new Map<number, number>();
  let n = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t < 0 || t >= vocabSize) continue;
    counts.set(t, (counts.get(t) ?? 0) + 1);
    n++;
  }
  if (n === 0) throw new MetricInputError(`token statistics need at least one token id in [0, ${vocabSize}); the stream has none`);
  let entropy = 0;
  for (const c of counts.values()) {
    const p = c / n;
    entropy -= p * Math.log2(p);
  }
  return { entropyBits: entropy, distinctRatio: counts.size / n };
}

/** Statistics of every codebook of one sample (codes[codebook] = frame ids). */
export function tokenStatistics(codes: readonly ArrayLike<number>[], vocabSize: number): CodebookTokenStatistics[] {
  if (codes.length === 0) throw new MetricInputError('token statistics need at least one codebook');
  return codes.map((row) => codebookTokenStatistics(row, vocabSize));
}
