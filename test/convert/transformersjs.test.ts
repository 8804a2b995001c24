import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { env, MusicgenForConditionalGeneration, Tensor } from '@huggingface/transformers';
import { convertCheckpoint } from '../../src/convert/modelFolder.js';
import { fixtureCheckpointDir, fixtureF32, fixtureI64, relL2 } from '../helpers/fixtures.js';

/**
 * transformers.js 4.3.1 is an independent consumer of our model folders: it loads them with its
 * own session code and runs its own greedy loop with CFG.
 */
const work = mkdtempSync(join(tmpdir(), 'mg-tjs-'));
const folder = join(work, 'musicgen-tiny');
const MAX_NEW_TOKENS = 20;
const K = 4;

type GenModel = Awaited<ReturnType<typeof MusicgenForConditionalGeneration.from_pretrained>>;
let model: GenModel;

beforeAll(async () => {
  convertCheckpoint(fixtureCheckpointDir('musicgen-tiny'), folder, { decoderLayout: 'both' });
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  model = await MusicgenForConditionalGeneration.from_pretrained(folder, { dtype: 'fp32' });
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function textInputs(): { input_ids: Tensor; attention_mask: Tensor } {
  const ids = fixtureI64('musicgen-tiny', 'text.input_ids');
  const mask = fixtureI64('musicgen-tiny', 'text.attention_mask');
  return {
    input_ids: new Tensor('int64', BigInt64Array.from(ids.data, BigInt), ids.shape),
    attention_mask: new Tensor('int64', BigInt64Array.from(mask.data, BigInt), mask.shape),
  };
}

/** Runs generate() and captures the codes transformers.js hands to encodec_decode. */
async function generateWithCodes(m: GenModel): Promise<{ audio: Float32Array; codes: number[] }> {
  const session = (m as unknown as { sessions: Record<string, { run: (f: Record<string, Tensor>) => Promise<unknown> }> }).sessions.encodec_decode;
  const run = session.run.bind(session);
  let codes: number[] = [];
  session.run = async (feeds) => {
    codes = Array.from(feeds.audio_codes.data as BigInt64Array, Number);
    return run(feeds);
  };
  try {
    const audio = (await m.generate({ ...textInputs(), do_sample: false, guidance_scale: 3, max_new_tokens: MAX_NEW_TOKENS })) as Tensor;
    return { audio: audio.data as Float32Array, codes };
  } finally {
    session.run = run;
  }
}

describe('transformers.js on a converted musicgen-tiny folder', () => {
  it('greedy CFG 3 codes equal PyTorch except where transformers.js feeds unmasked end-pad cells', async () => {
    const { codes } = await generateWithCodes(model);
    const ref = fixtureI64('musicgen-tiny', 'gen_cfg3.codes').data;
    const frames = MAX_NEW_TOKENS - (K - 1);
    const mismatched: string[] = [];
    for (let r = 0; r < ref.length; r++) if (codes[r] !== ref[r]) mismatched.push(`${Math.floor(r / frames)}:${r % frames}`);
    // transformers.js masks only the start triangle of the delay pattern before each forward, so
    // from step max_length-K on it feeds argmax tokens where HF feeds the pad id. Only frames
    // predicted after that point (the last frame of the late codebooks) may differ.
    for (const m of mismatched) expect(Number(m.split(':')[1])).toBe(frames - 1);
    expect(mismatched.length).toBeLessThanOrEqual(4);
  });

  it('with the end of the delay pattern masked as HF does, reproduces the reference audio within 1e-4', async () => {
    // Same files, same transformers.js sessions and loop; only its input preparation is taught
    // HF's apply_delay_pattern_mask for the end pads (cells at col >= max_length - (K - 1 - k)).
    const proto = Object.getPrototypeOf(model) as { prepare_inputs_for_generation: (ids: bigint[][], ...rest: unknown[]) => unknown };
    const original = proto.prepare_inputs_for_generation;
    const maxLength = 1 + MAX_NEW_TOKENS;
    const pad = 64n;
    const patched = Object.create(model) as GenModel & { prepare_inputs_for_generation: (ids: bigint[][], ...rest: unknown[]) => unknown };
    patched.prepare_inputs_for_generation = function (inputIds: bigint[][], ...rest: unknown[]) {
      const masked = inputIds.map((row, i) => row.map((v, j) => (j >= maxLength - (K - 1 - (i % K)) ? pad : v)));
      return original.call(this, masked, ...rest);
    };
    const { audio, codes } = await generateWithCodes(patched);
    expect(codes).toEqual(fixtureI64('musicgen-tiny', 'gen_cfg3.codes').data);
    expect(relL2(audio, fixtureF32('musicgen-tiny', 'gen_cfg3.audio_values').data)).toBeLessThan(1e-4);
  });
});
