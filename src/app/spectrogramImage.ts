import { colourOf } from '../audio/chromagramImage.js';
import { encodePng } from '../audio/png.js';
import { forEachPowerFrame } from '../audio/stft.js';

export interface SpectrogramImageOptions {
  /** FFT size (power of two). Default 1024. */
  nFft?: number;
  /** Most pixel columns; the hop is chosen so the frames fit. Default 800. */
  maxWidth?: number;
  /** Rows (frequency bins are averaged into them). Default 256. */
  height?: number;
  /** Shown dynamic range below the loudest bin, in dB. Default 80. */
  rangeDb?: number;
}

/**
 * A spectrogram picture as PNG bytes: time left to right, frequency (linear, 0 to Nyquist) bottom
 * to top, power in dB relative to the loudest bin mapped to the chromagram's colour map. The hop
 * grows with the length so a 120 s sample still costs about `maxWidth` FFTs.
 */
export function spectrogramPng(channels: readonly Float32Array[], options: SpectrogramImageOptions = {}): Uint8Array {
  const nFft = options.nFft ?? 1024;
  const maxWidth = options.maxWidth ?? 800;
  const height = options.height ?? 256;
  const rangeDb = options.rangeDb ?? 80;
  const n = channels.length ? channels[0].length : 0;
  // The STFT needs more than nFft/2 samples: pad short audio with silence.
  const mono = new Float32Array(Math.max(n, nFft));
  for (const c of channels) for (let i = 0; i < n; i++) mono[i] += c[i] / channels.length;
  const hop = Math.max(1, Math.ceil(mono.length / maxWidth));
  const bins = nFft / 2 + 1;
  const columns: Float32Array[] = [];
  forEachPowerFrame(mono, { nFft, hop }, (_f, power) => {
    const col = new Float32Array(height);
    for (let r = 0; r < height; r++) {
      const from = Math.floor((r * bins) / height);
      const to = Math.max(from + 1, Math.floor(((r + 1) * bins) / height));
      let s = 0;
      for (let k = from; k < to; k++) s += power[k];
      col[r] = 10 * Math.log10(s / (to - from) + 1e-12);
    }
    columns.push(col);
  });
  let peak = -Infinity;
  for (const col of columns) for (const v of col) peak = Math.max(peak, v);
  const width = columns.length;
  const rgb = new Uint8Array(width * height * 3);
  columns.forEach((col, x) => {
    for (let r = 0; r < height; r++) {
      const [cr, cg, cb] = colourOf((col[r] - (peak - rangeDb)) / rangeDb);
      const i = ((height - 1 - r) * width + x) * 3;
      rgb[i] = cr;
      rgb[i + 1] = cg;
      rgb[i + 2] = cb;
    }
  });
  return encodePng(width, height, rgb);
}
