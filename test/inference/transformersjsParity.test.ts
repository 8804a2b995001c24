import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { env, MusicgenForConditionalGeneration, Tensor } from '@huggingface/transformers';
import { synthesizeFromConfig } from '../../src/convert/modelFolder.js';
import { presetConfig } from '../../src/convert/presets.js';
import { MusicGen } from '../../src/inference/musicgen.js';
import { TextTokenizer } from '../../src/inference/textTokenizer.js';
import { relL2 } from '../helpers/fixtures.js';

/**
 * Our generation loop against transformers.js 4.3.1 on the same seeded random folder (decoder of
 * 4 layers of 256): identical greedy codes and audio with guidance 3.
 */
const work = mkdtempSync(join(tmpdir(), 'mg-tjs-gen-'));
const folder = join(work, 'random-4x256');
const NEW_TOKENS = 30;
const K = 4;

beforeAll(() => {
  const config = presetConfig('tiny', 11) as { decoder: Record<string, number> };
  Object.assign(config.decoder, { hidden_size: 256, num_hidden_layers: 4, num_attention_heads: 4, ffn_dim: 512 });
  synthesizeFromConfig(config, folder, { seed: 11, decoderLayout: 'both' });
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('greedy generation against transformers.js', () => {
  it('gives identical codes and audio with guidance 3', async () => {
    const prompts = ['90s rock song with loud guitars and heavy drums', 'ambient pads'];
    const ours = await MusicGen.load(folder, { threads: 1 });
    // Ours runs the kvbuffer decoder, transformers.js the merged one written beside it.
    expect(ours.files.decoderLayout).toBe('kvbuffer');
    const tokens = TextTokenizer.load(join(folder, 'tokenizer.json'), join(folder, 'tokenizer_config.json')).encodeBatch(prompts);
    const r = await ours.generate(prompts, { params: { useSampling: false, cfgCoef: 3, frames: NEW_TOKENS - (K - 1) } });

    const model = await MusicgenForConditionalGeneration.from_pretrained(folder, { dtype: 'fp32' });
    // transformers.js masks only the start of the delay pattern before each forward; give it HF's
    // end mask too (see test/convert/transformersjs.test.ts) so both loops see the same inputs.
    const proto = Object.getPrototypeOf(model) as { prepare_inputs_for_generation: (ids: bigint[][], ...rest: unknown[]) => unknown };
    const original = proto.prepare_inputs_for_generation;
    const pad = BigInt(ours.config.decoder.padTokenId);
    const maxLength = 1 + NEW_TOKENS;
    const patched = Object.create(model) as typeof model & { prepare_inputs_for_generation: (ids: bigint[][], ...rest: unknown[]) => unknown };
    patched.prepare_inputs_for_generation = function (ids: bigint[][], ...rest: unknown[]) {
      return original.call(this, ids.map((row, i) => row.map((v, j) => (j >= maxLength - (K - 1 - (i % K)) ? pad : v))), ...rest);
    };
    const session = (model as unknown as { sessions: Record<string, { run: (f: Record<string, Tensor>) => Promise<unknown> }> }).sessions.encodec_decode;
    const run = session.run.bind(session);
    let theirCodes: number[] = [];
    session.run = async (feeds) => {
      theirCodes = Array.from(feeds.audio_codes.data as BigInt64Array, Number);
      return run(feeds);
    };
    const B = prompts.length;
    const T = tokens.inputIds[0].length;
    const audio = (await patched.generate({
      input_ids: new Tensor('int64', BigInt64Array.from(tokens.inputIds.flat(), BigInt), [B, T]),
      attention_mask: new Tensor('int64', BigInt64Array.from(tokens.attentionMask.flat(), BigInt), [B, T]),
      do_sample: false,
      guidance_scale: 3,
      max_new_tokens: NEW_TOKENS,
    })) as Tensor;

    expect(r.codes.flatMap((item) => item.flatMap((row) => Array.from(row)))).toEqual(theirCodes);
    const ourAudio = new Float32Array(r.audio.flatMap((item) => Array.from(item[0])));
    expect(relL2(ourAudio, audio.data as Float32Array)).toBeLessThan(1e-4);
  });
});
