import { add, identity, multiply, sqrtm, trace } from 'mathjs';
import { MetricInputError } from '../errors.js';

/** Mean and covariance of a set of embeddings (a multivariate Gaussian fitted to them). */
export interface GaussianStatistics {
  mean: number[];
  /** Unbiased (n - 1) covariance, as numpy.cov, which the FAD reference code uses. */
  covariance: number[][];
}

/** Fits a Gaussian to embeddings (one Float32Array / number[] per clip, all the same length). */
export function gaussianStatistics(embeddings: ReadonlyArray<ArrayLike<number>>): GaussianStatistics {
  const n = embeddings.length;
  if (n < 2) throw new MetricInputError(`a Gaussian fit needs at least 2 embeddings (got ${n}); FAD needs many more (hundreds) to be meaningful`);
  const d = embeddings[0].length;
  if (d === 0) throw new MetricInputError('embeddings are empty');
  embeddings.forEach((e, i) => {
    if (e.length !== d) throw new MetricInputError(`embedding ${i} has ${e.length} dimensions; embedding 0 has ${d}`);
  });
  const mean = new Array<number>(d).fill(0);
  for (const e of embeddings) for (let j = 0; j < d; j++) mean[j] += e[j] / n;
  const covariance = Array.from({ length: d }, () => new Array<number>(d).fill(0));
  const centred = new Float64Array(d);
  for (const e of embeddings) {
    for (let j = 0; j < d; j++) centred[j] = e[j] - mean[j];
    for (let a = 0; a < d; a++) {
      const row = covariance[a];
      const ca = centred[a];
      for (let b = a; b < d; b++) row[b] += ca * centred[b];
    }
  }
  for (let a = 0; a < d; a++) {
    for (let b = a; b < d; b++) {
      covariance[a][b] /= n - 1;
      covariance[b][a] = covariance[a][b];
    }
  }
  return { mean, covariance };
}

/** Offset added to both covariances when their product has no square root (pytorch-fid's fallback). */
const SINGULAR_OFFSET = 1e-6;

/**
 * Fréchet distance between two Gaussians: |mu1 - mu2|^2 + Tr(S1 + S2 - 2 sqrtm(S1 S2)), the
 * formula of FID and FAD (Kilgour et al. 2019). The matrix square root is mathjs' sqrtm; when the
 * product is singular both covariances get a small diagonal offset, as pytorch-fid does.
 */
export function frechetDistance(a: GaussianStatistics, b: GaussianStatistics): number {
  const d = a.mean.length;
  if (b.mean.length !== d) throw new MetricInputError(`the two embedding sets have ${d} and ${b.mean.length} dimensions; use the same embedding model for both`);
  let meanTerm = 0;
  for (let j = 0; j < d; j++) meanTerm += (a.mean[j] - b.mean[j]) ** 2;
  const traceOf = (m: number[][]): number => m.reduce((s, row, i) => s + row[i], 0);
  let sqrtTrace: number;
  try {
    sqrtTrace = realTrace(sqrtm(multiply(a.covariance, b.covariance) as number[][]));
  } catch {
    const offset = multiply(identity(d), SINGULAR_OFFSET);
    const a1 = add(a.covariance, offset);
    const b1 = add(b.covariance, offset);
    sqrtTrace = realTrace(sqrtm(multiply(a1, b1) as unknown as number[][]));
  }
  return meanTerm + traceOf(a.covariance) + traceOf(b.covariance) - 2 * sqrtTrace;
}

function realTrace(m: unknown): number {
  const t = trace(m as number[][]) as unknown;
  // Rounding can leave a tiny imaginary part (scipy's sqrtm too); only the real part counts.
  if (typeof t === 'number') return t;
  if (t && typeof t === 'object' && 're' in t) return (t as { re: number }).re;
  throw new MetricInputError('sqrtm of the covariance product did not give a numeric trace');
}

/** FAD between two sets of embeddings (e.g. generated clips vs a reference set). */
export function frechetAudioDistance(generated: ReadonlyArray<ArrayLike<number>>, reference: ReadonlyArray<ArrayLike<number>>): number {
  return frechetDistance(gaussianStatistics(generated), gaussianStatistics(reference));
}
