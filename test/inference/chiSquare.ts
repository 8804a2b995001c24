/**
 * Pearson chi-square goodness-of-fit for the sampler statistics tests: the statistic and its
 * survival function (p-value) through the regularised upper incomplete gamma function
 * Q(df/2, x/2), series below a+1 and Lentz's continued fraction above (Numerical Recipes §6.2).
 */

/** ln Γ(x) for x > 0, Lanczos approximation (g = 7, n = 9), |error| < 1e-13 here. */
export function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  x -= 1;
  let a = c[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Regularised upper incomplete gamma Q(a, x) = Γ(a, x) / Γ(a). */
export function gammaQ(a: number, x: number): number {
  if (!(a > 0) || x < 0) throw new RangeError(`gammaQ(a=${a}, x=${x}) needs a > 0, x >= 0`);
  if (x === 0) return 1;
  const lnPrefix = -x + a * Math.log(x) - logGamma(a);
  if (x < a + 1) {
    // series for P(a, x)
    let ap = a;
    let del = 1 / a;
    let sum = del;
    for (let n = 0; n < 10_000; n++) {
      ap += 1;
      del *= x / ap;
      sum += del;
      if (Math.abs(del) < Math.abs(sum) * 1e-16) break;
    }
    return 1 - sum * Math.exp(lnPrefix);
  }
  // continued fraction for Q(a, x), modified Lentz
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 10_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-16) break;
  }
  return Math.exp(lnPrefix) * h;
}

/** P(X >= x) for X ~ chi-square with `df` degrees of freedom. */
export function chiSquareSurvival(x: number, df: number): number {
  return gammaQ(df / 2, x / 2);
}

export interface ChiSquareResult {
  statistic: number;
  df: number;
  pValue: number;
}

/**
 * Pearson's test of observed counts against target probabilities over the support (p > 0).
 * Cells with expected count under 5 are pooled into one cell so the chi-square approximation holds.
 * Counts outside the support are reported through `outsideSupport` rather than the statistic.
 */
export function chiSquareTest(
  counts: ArrayLike<number>,
  probs: ArrayLike<number>,
): ChiSquareResult & { outsideSupport: number } {
  let n = 0;
  for (let i = 0; i < counts.length; i++) n += counts[i];
  let statistic = 0;
  let cells = 0;
  let pooledObs = 0;
  let pooledExp = 0;
  let outsideSupport = 0;
  for (let i = 0; i < probs.length; i++) {
    const p = probs[i];
    if (p <= 0) {
      outsideSupport += counts[i];
      continue;
    }
    const e = n * p;
    if (e < 5) {
      pooledObs += counts[i];
      pooledExp += e;
      continue;
    }
    statistic += (counts[i] - e) ** 2 / e;
    cells++;
  }
  if (pooledExp > 0) {
    statistic += (pooledObs - pooledExp) ** 2 / pooledExp;
    cells++;
  }
  const df = Math.max(1, cells - 1);
  return { statistic, df, pValue: chiSquareSurvival(statistic, df), outsideSupport };
}
