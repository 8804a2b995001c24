import type { Chroma } from './chroma.js';
import { encodePng } from './png.js';

/** Viridis-like colour map stops (value 0 -> dark purple, 1 -> yellow). */
const STOPS: readonly [number, number, number][] = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];

export function colourOf(value: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, Number.isFinite(value) ? value : 0)) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(x));
  const f = x - i;
  const a = STOPS[i];
  const b = STOPS[i + 1];
  return [0, 1, 2].map((k) => Math.round(a[k] + f * (b[k] - a[k]))) as [number, number, number];
}

export interface ChromagramImageOptions {
  /** Pixels per frame. Default: fits about 1600 px, between 1 and 8. */
  cellWidth?: number;
  /** Pixels per pitch class. Default 16. */
  cellHeight?: number;
}

/**
 * A chromagram picture as PNG bytes: time left to right, pitch classes bottom (C) to top (B), each
 * cell coloured by its value (0..1, e.g. inf-normalised or one-hot chroma).
 */
export function chromagramPng(chroma: Chroma, options: ChromagramImageOptions = {}): Uint8Array {
  const frames = chroma.length;
  const bins = frames > 0 ? chroma[0].length : 12;
  const cellWidth = options.cellWidth ?? Math.min(8, Math.max(1, Math.floor(1600 / Math.max(1, frames))));
  const cellHeight = options.cellHeight ?? 16;
  const width = Math.max(1, frames * cellWidth);
  const height = bins * cellHeight;
  const rgb = new Uint8Array(width * height * 3);
  for (let t = 0; t < frames; t++) {
    for (let c = 0; c < bins; c++) {
      const colour = colourOf(chroma[t][c]);
      const top = (bins - 1 - c) * cellHeight;
      for (let y = top; y < top + cellHeight; y++) {
        for (let x = t * cellWidth; x < (t + 1) * cellWidth; x++) rgb.set(colour, (y * width + x) * 3);
      }
    }
  }
  return encodePng(width, height, rgb);
}
