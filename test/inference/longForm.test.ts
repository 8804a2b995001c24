import { describe, expect, it } from 'vitest';
import { MusicGen } from '../../src/inference/musicgen.js';
import { synthesizedPreset } from '../helpers/models.js';

describe('long-form generation (over 30 s)', () => {
  it('runs extend_stride windows: 31 s = a 1500-frame window, then 50 new frames after a 600-frame prompt', async () => {
    const mg = await MusicGen.load(synthesizedPreset('tiny'), { threads: 1 });
    const seen: Array<[number, number]> = [];
    const r = await mg.generate(['long piece'], { params: { frames: 1550, extendStride: 18, seed: 3 }, progress: (d, t) => seen.push([d, t]) });
    expect(r.frames).toBe(1550);
    expect(r.codes[0][0].length).toBe(1550);
    expect(r.audio[0][0].length).toBe(1550 * 640);
    // Window 0: 1500 frames + 3 pad steps; window 1: (650 + 3) - 600 prompt frames.
    expect(r.timings.decoderCalls).toBe(1503 + 53);
    expect(seen.at(-1)).toEqual([1556, 1556]);
    // No special (pad) id survives into the output.
    for (const row of r.codes[0]) expect(row.every((v) => v >= 0 && v < 2048)).toBe(true);
  }, 300_000);
});
