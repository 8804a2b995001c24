import { describe, expect, it } from 'vitest';
import { SCALE_INFO } from '../../src/mos/scales.js';
import { buildReport } from '../../src/mos/stats.js';
import { MosStore } from '../../src/mos/store.js';
import { mosFigure } from '../../src/notebook/mosFigure.js';
import { simulateRaters } from '../../src/notebook/mosSimulation.js';
import { fakeSet } from '../mos/storeFixture.js';

function storeWithTest(scale: 'acr' | 'mushra') {
  const store = MosStore.open(':memory:');
  fakeSet(store, 'set', 6, ['low', 'high']);
  const test = store.createTest({ setName: 'set', name: `t-${scale}`, scale, trialsPerRater: 4, trapsPerRater: 1 });
  return { store, test };
}

describe('simulateRaters', () => {
  it('rates through the store like the web pages: every assigned trial completed, on the scale', () => {
    const { store, test } = storeWithTest('acr');
    const summary = simulateRaters(store, test.name, { raters: 10, quality: (s) => (s === 'high' ? 0.8 : 0.3), careless: 2, seed: 3 });
    const ratings = store.ratingsOf(test.id);
    expect(summary).toEqual({ raters: 10, ratings: ratings.length });
    expect(ratings.length).toBe(10 * (4 + 1)); // four trials and one trap each, one clip per ACR trial
    const { min, max } = SCALE_INFO.acr;
    expect(ratings.every((r) => Number.isInteger(r.score) && r.score >= min && r.score <= max)).toBe(true);
    // Attentive raters give traps the minimum; the preference shows in the MOS.
    const careless = ['simulated-9', 'simulated-10'];
    const traps = ratings.filter((r) => r.isTrap);
    expect(traps.filter((r) => !careless.includes(r.raterLabel ?? '')).every((r) => r.score === min)).toBe(true);
    // Careless raters miss their traps, and screening removes exactly them.
    expect(traps.filter((r) => careless.includes(r.raterLabel ?? '')).every((r) => r.score > SCALE_INFO.acr.trapMax)).toBe(true);
    const report = buildReport(ratings, 'acr');
    expect(report.raters.filter((r) => r.screened).map((r) => r.label)).toEqual(careless);
    const mos = new Map(report.systems.map((s) => [s.system, s.mean]));
    expect(mos.get('high')! - mos.get('low')!).toBeGreaterThan(1);
    // Same seed, same database state: same ratings.
    const again = storeWithTest('acr');
    simulateRaters(again.store, again.test.name, { raters: 10, quality: (s) => (s === 'high' ? 0.8 : 0.3), careless: 2, seed: 3 });
    expect(again.store.ratingsOf(again.test.id).map((r) => r.score)).toEqual(ratings.map((r) => r.score));
  });

  it('rates MUSHRA pages: hidden reference high, anchors low', () => {
    const { store, test } = storeWithTest('mushra');
    simulateRaters(store, test.name, { raters: 4, seed: 1 });
    const ratings = store.ratingsOf(test.id);
    const meanOf = (kind: string) => {
      const xs = ratings.filter((r) => r.kind === kind).map((r) => r.score);
      return xs.reduce((a, b) => a + b, 0) / xs.length;
    };
    expect(meanOf('hidden_reference')).toBeGreaterThan(85);
    expect(meanOf('anchor35')).toBeLessThan(meanOf('anchor70'));
    expect(meanOf('anchor70')).toBeLessThan(meanOf('system'));
  });
});

describe('mosFigure', () => {
  it('draws one bar per system with its 95 % interval on the scale range', () => {
    const fig = mosFigure(
      [
        { system: 'a', n: 10, mean: 3.2, sd: 1, ci95: 0.7, zMean: 0 },
        { system: 'b', n: 1, mean: 4, sd: Number.NaN, ci95: Number.NaN, zMean: 0 },
      ],
      'acr',
    );
    expect(fig.data[0].x).toEqual(['a', 'b']);
    expect(fig.data[0].y).toEqual([3.2, 4]);
    expect((fig.data[0].error_y as { array: number[] }).array).toEqual([0.7, 0]);
    expect((fig.layout.yaxis as { range: number[] }).range).toEqual([1, 5]);
    // The rating counts label the systems below the axis, not the bars (where the whiskers are).
    expect(fig.data[0].textposition).toBe('none');
    expect((fig.layout.xaxis as { ticktext: string[] }).ticktext).toEqual(['a<br>n=10', 'b<br>n=1']);
  });
});
