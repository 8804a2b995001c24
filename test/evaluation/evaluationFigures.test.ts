import { describe, expect, it } from 'vitest';
import { modelSizeFigure } from '../../src/analysis/figures/sweepFigures.js';
import type { SweepResultRow } from '../../src/analysis/sweepResults.js';
import { perplexityFigure, perplexityVsSizeFigure } from '../../src/evaluation/evaluationFigures.js';
import { summarizeEvaluation, type EvaluationRow } from '../../src/evaluation/evaluationResults.js';

function row(model: string, id: string, ce: number): EvaluationRow {
  return { model, id, frames: 100, text: null, crossEntropy: [ce, ce], perplexity: [Math.exp(ce), Math.exp(ce)], tokens: [100, 100], ce, ppl: Math.exp(ce), audioSeconds: 2, decoderMs: 10 };
}

describe('evaluation figures', () => {
  it('hide the error bars when every model was scored on one segment (no interval, not a zero one)', () => {
    const one = summarizeEvaluation([row('a', 'x', 5), row('b', 'x', 6)]);
    expect((perplexityFigure(one).data[0].error_y as { visible: boolean }).visible).toBe(false);
    const two = summarizeEvaluation([row('a', 'x', 5), row('a', 'y', 5.5), row('b', 'x', 6)]);
    expect((perplexityFigure(two).data[0].error_y as { visible: boolean }).visible).toBe(true);
  });

  it('join models by a line in order of size only when each has its own size', () => {
    const rows = [row('big', 'x', 4), row('small', 'x', 6), row('small-ft', 'x', 5)];
    const sameSize = perplexityVsSizeFigure(summarizeEvaluation(rows, new Map([['big', 3e8], ['small', 1e6], ['small-ft', 1e6]])));
    expect(sameSize.data[0].mode).toBe('markers+text');
    expect(sameSize.data[0].x).toEqual([1e6, 1e6, 3e8]);
    const distinct = perplexityVsSizeFigure(summarizeEvaluation(rows.slice(0, 2), new Map([['big', 3e8], ['small', 1e6]])));
    expect(distinct.data[0].mode).toBe('markers+lines+text');
    expect(distinct.data[0].text).toEqual(['small', 'big']);
  });

  it("a sweep's model-size figure hides its error bars when each model has one sample", () => {
    const sweepRow = (model: string, seed: number, stepsPerSecond: number) =>
      ({ model, seed, stepsPerSecond }) as unknown as SweepResultRow;
    const single = modelSizeFigure([sweepRow('a', 1, 10), sweepRow('b', 1, 20)], 'stepsPerSecond');
    expect((single.data[0].error_y as { visible: boolean }).visible).toBe(false);
  });
});
