import { CHROMA_HOP, CHROMA_SAMPLE_RATE, type Chroma } from '../../audio/chroma.js';
import { forEachPowerFrame } from '../../audio/stft.js';
import { FigureDataError } from '../errors.js';
import { mixToMono } from '../metrics/spectralShape.js';
import { baseLayout, round, type PlotlyFigure, type PlotlyTrace } from './plotlyFigure.js';

const PITCH_CLASSES = ['C', 'C#', 'D', 'D#', 'E', 'F', 'F#', 'G', 'G#', 'A', 'A#', 'B'];

function chromaTrace(chroma: Chroma, yaxis: string, name: string, hopSeconds: number): PlotlyTrace {
  // z[pitch][frame]: pitch classes up the y axis, time along x.
  const z = PITCH_CLASSES.map((_, p) => chroma.map((frame) => round(frame[p] ?? 0, 3)));
  return {
    type: 'heatmap',
    name,
    x: chroma.map((_, t) => round(t * hopSeconds, 3)),
    y: PITCH_CLASSES,
    z,
    yaxis,
    colorscale: 'Greys',
    reversescale: true,
    showscale: false,
    hovertemplate: `${name}: %{y} at %{x} s<extra></extra>`,
  };
}

/**
 * Chromagram of the melody above the output's (both 12 x frames, e.g. extractChroma at 32 kHz,
 * hop 4096), sharing the time axis, so where the pitch classes agree can be read off. Without a
 * melody only the output's is drawn.
 */
export function chromagramFigure(output: Chroma, melody: Chroma | null, title = 'Chromagram: melody vs output'): PlotlyFigure {
  if (output.length === 0) throw new FigureDataError('chromagramFigure: the output chromagram has no frames');
  const hop = CHROMA_HOP / CHROMA_SAMPLE_RATE;
  const layout = baseLayout(title, 'time (s)', 'output');
  if (!melody) return { data: [chromaTrace(output, 'y', 'output', hop)], layout };
  layout.yaxis = { title: { text: 'output' }, domain: [0, 0.46] };
  layout.yaxis2 = { title: { text: 'melody' }, domain: [0.54, 1] };
  return { data: [chromaTrace(output, 'y', 'output', hop), chromaTrace(melody, 'y2', 'melody', hop)], layout };
}

export interface SpectrogramFigureOptions {
  /** FFT size (power of two). Default 512. */
  nFft?: number;
  /** At most this many time frames are drawn (the hop grows to fit). Default 300. */
  maxFrames?: number;
  title?: string;
}

/** Log-power spectrogram (dB, 80 dB range) of the mono mix, as a heat map. */
export function spectrogramFigure(channels: readonly Float32Array[], sampleRate: number, opts: SpectrogramFigureOptions = {}): PlotlyFigure {
  const mono = mixToMono(channels);
  let nFft = opts.nFft ?? 512;
  while (mono.length <= nFft / 2 && nFft > 16) nFft /= 2;
  if (mono.length <= nFft / 2) throw new FigureDataError(`spectrogramFigure: ${mono.length} samples are too few for a spectrogram`);
  const maxFrames = opts.maxFrames ?? 300;
  const hop = Math.max(nFft / 4, Math.ceil(mono.length / maxFrames));
  const columns: number[][] = [];
  let peak = -Infinity;
  forEachPowerFrame(mono, { nFft, hop }, (_f, power) => {
    const db = Array.from(power, (p) => 10 * Math.log10(p + 1e-12));
    for (const v of db) if (v > peak) peak = v;
    columns.push(db);
  });
  const floor = peak - 80;
  const bins = nFft / 2 + 1;
  const z = Array.from({ length: bins }, (_, k) => columns.map((c) => round(Math.max(c[k], floor), 1)));
  const trace: PlotlyTrace = {
    type: 'heatmap',
    x: columns.map((_, t) => round((t * hop) / sampleRate, 4)),
    y: Array.from({ length: bins }, (_, k) => round((k * sampleRate) / nFft, 1)),
    z,
    colorscale: 'Viridis',
    colorbar: { title: { text: 'dB' } },
    hovertemplate: '%{x} s, %{y} Hz<br>%{z} dB<extra></extra>',
  };
  return { data: [trace], layout: baseLayout(opts.title ?? 'Spectrogram', 'time (s)', 'frequency (Hz)') };
}

/**
 * Waveform, one trace per channel; long signals are drawn as a min/max envelope of at most
 * `maxPoints` buckets so the figure stays small.
 */
export function waveformFigure(channels: readonly Float32Array[], sampleRate: number, opts: { maxPoints?: number; title?: string } = {}): PlotlyFigure {
  if (channels.length === 0 || channels[0].length === 0) throw new FigureDataError('waveformFigure: no samples');
  const maxPoints = opts.maxPoints ?? 2000;
  const n = channels[0].length;
  const bucket = Math.max(1, Math.ceil((2 * n) / maxPoints));
  const data: PlotlyTrace[] = channels.map((x, c) => {
    const t: number[] = [];
    const y: number[] = [];
    for (let start = 0; start < n; start += bucket) {
      let lo = Infinity;
      let hi = -Infinity;
      for (let i = start; i < Math.min(n, start + bucket); i++) {
        if (x[i] < lo) lo = x[i];
        if (x[i] > hi) hi = x[i];
      }
      const time = round(start / sampleRate, 5);
      if (bucket === 1) {
        t.push(time);
        y.push(round(lo, 5));
      } else {
        t.push(time, time);
        y.push(round(lo, 5), round(hi, 5));
      }
    }
    return { type: 'scatter', mode: 'lines', name: channels.length > 1 ? `channel ${c}` : 'audio', x: t, y, line: { width: 1 } };
  });
  return { data, layout: baseLayout(opts.title ?? 'Waveform', 'time (s)', 'amplitude') };
}
