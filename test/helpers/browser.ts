import type { BrowserContext, Page } from 'playwright-core';

export { CHROMIUM_ARGS, DEFAULT_CHROMIUM as CHROMIUM } from '../../src/analysis/figures/figureRenderer.js';

export interface PixelStats {
  /** Grey-level variance: near 0 for a blank picture. */
  variance: number;
  /** Share of pixels unlike the most common colour. */
  nonBackground: number;
  width: number;
}

// Browser-side code as a string: the project compiles without DOM types.
const MEASURE = `async (src) => {
  const img = new Image();
  img.src = src;
  await img.decode();
  const c = document.createElement('canvas');
  c.width = img.width;
  c.height = img.height;
  const g = c.getContext('2d');
  g.drawImage(img, 0, 0);
  const d = g.getImageData(0, 0, c.width, c.height).data;
  let s = 0, s2 = 0;
  const counts = new Map();
  const n = d.length / 4;
  for (let i = 0; i < d.length; i += 4) {
    const y = 0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2];
    s += y;
    s2 += y * y;
    const key = (d[i] << 16) | (d[i + 1] << 8) | d[i + 2];
    counts.set(key, (counts.get(key) || 0) + 1);
  }
  return { variance: s2 / n - (s / n) ** 2, nonBackground: 1 - Math.max(...counts.values()) / n, width: img.width };
}`;

/**
 * Measures a PNG (a screenshot) in the browser, so "not blank" checks need no image library: in
 * `target` itself when it is a page, else in a fresh blank page of the context.
 */
export async function pixelStats(target: Page | BrowserContext, png: Buffer): Promise<PixelStats> {
  const src = `data:image/png;base64,${png.toString('base64')}`;
  const expr = `(${MEASURE})(${JSON.stringify(src)})`;
  if ('newPage' in target) {
    const page = await target.newPage();
    try {
      return (await page.evaluate(expr)) as PixelStats;
    } finally {
      await page.close();
    }
  }
  return (await target.evaluate(expr)) as PixelStats;
}
