import { encodePng } from '../audio/png.js';

export interface WaveformImageOptions {
  width?: number;
  height?: number;
}

const BACKGROUND = [248, 249, 252] as const;
const AXIS = [200, 204, 214] as const;
const WAVE = [36, 86, 214] as const;

/**
 * A waveform picture as PNG bytes: for every pixel column the min..max of the channel mean over
 * the samples it covers, drawn as a vertical bar around a centre line (the usual DAW overview).
 */
export function waveformPng(channels: readonly Float32Array[], options: WaveformImageOptions = {}): Uint8Array {
  const width = options.width ?? 800;
  const height = options.height ?? 120;
  const rgb = new Uint8Array(width * height * 3);
  const paint = (x: number, y: number, c: readonly number[]): void => {
    const i = (y * width + x) * 3;
    rgb[i] = c[0];
    rgb[i + 1] = c[1];
    rgb[i + 2] = c[2];
  };
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) paint(x, y, BACKGROUND);
  const mid = Math.floor(height / 2);
  for (let x = 0; x < width; x++) paint(x, mid, AXIS);
  const n = channels.length ? channels[0].length : 0;
  if (n === 0) return encodePng(width, height, rgb);
  const half = (height - 2) / 2;
  for (let x = 0; x < width; x++) {
    const from = Math.floor((x * n) / width);
    const to = Math.max(from + 1, Math.floor(((x + 1) * n) / width));
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = from; i < to && i < n; i++) {
      let m = 0;
      for (const c of channels) m += c[i];
      m /= channels.length;
      if (m < lo) lo = m;
      if (m > hi) hi = m;
    }
    if (!Number.isFinite(lo)) continue;
    const top = Math.max(0, Math.round(mid - Math.min(1, hi) * half));
    const bottom = Math.min(height - 1, Math.round(mid - Math.max(-1, lo) * half));
    for (let y = top; y <= bottom; y++) paint(x, y, WAVE);
  }
  return encodePng(width, height, rgb);
}
