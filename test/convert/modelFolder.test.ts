import { afterAll, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import {
  CorruptCheckpointError,
  MissingTensorError,
  OutputExistsError,
  TensorShapeError,
  UnsupportedDtypeError,
} from '../../src/convert/errors.js';
import { convertCheckpoint, synthesizeModel, withExternalDataHint } from '../../src/convert/modelFolder.js';
import { SafetensorsFile } from '../../src/convert/safetensors.js';
import { ModelConfigError } from '../../src/model/modelConfig.js';
import { readOnnxMetadata } from '../../src/model/onnxMetadata.js';
import { fixtureCheckpointDir, fixtureF32, fixtureI64, relL2 } from '../helpers/fixtures.js';
import { writeSafetensors } from '../helpers/safetensorsWriter.js';

const work = mkdtempSync(join(tmpdir(), 'mg-folder-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const i64 = (data: number[], dims: number[]): ort.Tensor => new ort.Tensor('int64', BigInt64Array.from(data, (v) => BigInt(v)), dims);

/** A copy of the musicgen-tiny checkpoint whose tensors / config can be altered. */
function alteredCheckpoint(name: string, alter: (t: Map<string, { data: Float32Array; shape: number[] }>, config: Record<string, unknown>) => void): string {
  const src = fixtureCheckpointDir('musicgen-tiny');
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  const file = new SafetensorsFile(join(src, 'model.safetensors'));
  const tensors = new Map<string, { data: Float32Array; shape: number[] }>();
  for (const k of file.entries.keys()) tensors.set(k, file.read(k));
  const config = JSON.parse(readFileSync(join(src, 'config.json'), 'utf8')) as Record<string, unknown>;
  alter(tensors, config);
  writeSafetensors(join(dir, 'model.safetensors'), tensors);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

/** Nothing but the final folders: no `.partial` leftovers in the work dir. */
function leftovers(): string[] {
  return readdirSync(work).filter((f) => f.startsWith('.'));
}

describe('model folders', () => {
  it('converts the musicgen-tiny checkpoint into the standard layout whose graphs match PyTorch', async () => {
    const out = join(work, 'tiny');
    const stages: string[] = [];
    const r = convertCheckpoint(fixtureCheckpointDir('musicgen-tiny'), out, { progress: (_d, _t, s) => stages.push(s) });
    const graphs = ['encodec_decode_frames.onnx', 'encodec_decode_upsample.onnx', 'encodec_encode.onnx', 'text_encoder.onnx'];
    // Every graph keeps its weights in a side file (mapped by onnxruntime, dropped once prepacked;
    // the decoder only those prepacked: test/convert/mappedDecoder.test.ts), and config.json says so.
    const all = ['decoder_model_kvbuffer.onnx', ...graphs];
    expect(readdirSync(join(out, 'onnx')).sort()).toEqual(all.flatMap((g) => [g, `${g}_data`]));
    const written = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(written['transformers.js_config'].use_external_data_format).toEqual(Object.fromEntries(all.map((g) => [g, 1])));
    expect(existsSync(join(out, 'config.json'))).toBe(true);
    expect(existsSync(join(out, 'generation_config.json'))).toBe(true);
    // The fixture's vocabulary (100 ids) is not T5's: no tokenizer is copied.
    expect(existsSync(join(out, 'tokenizer.json'))).toBe(false);
    expect(r.files).toContain('onnx/decoder_model_kvbuffer.onnx');
    expect(stages.at(-1)).toBe('done');

    const enc = await ort.InferenceSession.create(join(out, 'onnx', 'text_encoder.onnx'));
    const ids = fixtureI64('musicgen-tiny', 'text.input_ids');
    const mask = fixtureI64('musicgen-tiny', 'text.attention_mask');
    const h = await enc.run({ input_ids: i64(ids.data, ids.shape), attention_mask: i64(mask.data, mask.shape) });
    expect(relL2(h.last_hidden_state.data as Float32Array, fixtureF32('musicgen-tiny', 'text_encoder.last_hidden_state').data)).toBeLessThan(1e-4);
    // EnCodec decode in its two halves, chained, is HF's decode.
    const framesHalf = await ort.InferenceSession.create(join(out, 'onnx', 'encodec_decode_frames.onnx'));
    const upsampleHalf = await ort.InferenceSession.create(join(out, 'onnx', 'encodec_decode_upsample.onnx'));
    const codes = fixtureI64('musicgen-tiny', 'encodec.decode.codes');
    const hidden = await framesHalf.run({ audio_codes: i64(codes.data, codes.shape) });
    const audio = await upsampleHalf.run({ decoder_frames: hidden.decoder_frames });
    expect(relL2(audio.audio_values.data as Float32Array, fixtureF32('musicgen-tiny', 'encodec.decode.audio_values').data)).toBeLessThan(1e-4);
  });

  it("config.json's transformers.js hint names exactly this folder's external-data graphs", () => {
    const source = { a: 1, 'transformers.js_config': { device: 'cpu', use_external_data_format: { 'old.onnx': 1 } } };
    expect(withExternalDataHint(source, ['t.onnx'])).toEqual({ a: 1, 'transformers.js_config': { device: 'cpu', use_external_data_format: { 't.onnx': 1 } } });
    expect(withExternalDataHint(source, [])).toEqual({ a: 1, 'transformers.js_config': { device: 'cpu' } });
    expect(withExternalDataHint({ a: 1 }, [])).toEqual({ a: 1 });
  });

  it('writes external data side files that onnxruntime loads', async () => {
    const out = join(work, 'tiny-external');
    convertCheckpoint(fixtureCheckpointDir('musicgen-tiny'), out, { forceExternalData: true });
    expect(existsSync(join(out, 'onnx', 'text_encoder.onnx_data'))).toBe(true);
    const enc = await ort.InferenceSession.create(join(out, 'onnx', 'text_encoder.onnx'));
    const ids = fixtureI64('musicgen-tiny', 'text.input_ids');
    const mask = fixtureI64('musicgen-tiny', 'text.attention_mask');
    const h = await enc.run({ input_ids: i64(ids.data, ids.shape), attention_mask: i64(mask.data, mask.shape) });
    expect(relL2(h.last_hidden_state.data as Float32Array, fixtureF32('musicgen-tiny', 'text_encoder.last_hidden_state').data)).toBeLessThan(1e-4);
  });

  it('synthesises seeded random presets with the real tokenizer and says the weights are random', async () => {
    const a = join(work, 'synth-a');
    const b = join(work, 'synth-b');
    synthesizeModel('tiny', a, { seed: 7 });
    synthesizeModel('tiny', b, { seed: 7 });
    const config = JSON.parse(readFileSync(join(a, 'config.json'), 'utf8'));
    expect(config.musicgen_ts.random_weights).toBe(true);
    expect(existsSync(join(a, 'tokenizer.json')) && existsSync(join(a, 'tokenizer_config.json'))).toBe(true);
    // Same seed, same bytes.
    expect(readFileSync(join(a, 'onnx', 'decoder_model_kvbuffer.onnx')).equals(readFileSync(join(b, 'onnx', 'decoder_model_kvbuffer.onnx')))).toBe(true);
    const session = await ort.InferenceSession.create(join(a, 'onnx', 'decoder_model_kvbuffer.onnx'));
    expect(session.inputNames).toContain('past_key_values.1.encoder.value');
    expect(session.inputNames).toContain('past_sequence_length');
    expect(session.outputNames[0]).toBe('logits');
    expect(readOnnxMetadata(join(a, 'onnx', 'decoder_model_kvbuffer.onnx')).graph).toBe('decoder_model_kvbuffer');
  });

  it('writes the transformers.js merged decoder on request, or both layouts, and rejects an unknown layout', async () => {
    const merged = join(work, 'synth-merged');
    const both = join(work, 'synth-both');
    synthesizeModel('tiny', merged, { seed: 7, decoderLayout: 'merged' });
    synthesizeModel('tiny', both, { seed: 7, decoderLayout: 'both' });
    const decoders = (dir: string): string[] => readdirSync(join(dir, 'onnx')).filter((f) => f.startsWith('decoder')).sort();
    expect(decoders(merged)).toEqual(['decoder_model_merged.onnx']);
    // The merged decoder in one file, as transformers.js / optimum publish it.
    expect(decoders(both)).toEqual(['decoder_model_kvbuffer.onnx', 'decoder_model_kvbuffer.onnx_data', 'decoder_model_merged.onnx']);
    // transformers.js opens encodec_decode.onnx: written beside the merged decoder only.
    expect(existsSync(join(both, 'onnx', 'encodec_decode.onnx'))).toBe(true);
    expect(existsSync(join(work, 'synth-a', 'onnx', 'encodec_decode.onnx'))).toBe(false);
    const session = await ort.InferenceSession.create(join(merged, 'onnx', 'decoder_model_merged.onnx'));
    expect(session.inputNames).not.toContain('past_sequence_length');
    expect(() => synthesizeModel('tiny', join(work, 'synth-bad'), { decoderLayout: 'fast' })).toThrow(/unknown decoder layout "fast"; choose one of kvbuffer, merged, both/);
    expect(existsSync(join(work, 'synth-bad'))).toBe(false);
  });

  it('refuses an existing output folder without force and replaces it with force', () => {
    const out = join(work, 'exists');
    mkdirSync(out);
    writeFileSync(join(out, 'keep.txt'), 'x');
    expect(() => synthesizeModel('tiny', out)).toThrow(OutputExistsError);
    expect(readFileSync(join(out, 'keep.txt'), 'utf8')).toBe('x');
    synthesizeModel('tiny', out, { force: true });
    expect(existsSync(join(out, 'keep.txt'))).toBe(false);
    expect(existsSync(join(out, 'onnx', 'text_encoder.onnx'))).toBe(true);
    expect(leftovers()).toEqual([]);
  });

  it('names the missing tensor and leaves no partial output', () => {
    const dir = alteredCheckpoint('missing', (t) => t.delete('decoder.model.decoder.layers.1.fc2.weight'));
    const out = join(work, 'out-missing');
    expect(() => convertCheckpoint(dir, out)).toThrow(/missing tensor "decoder\.model\.decoder\.layers\.1\.fc2\.weight"/);
    expect(() => convertCheckpoint(dir, out)).toThrow(MissingTensorError);
    expect(existsSync(out)).toBe(false);
    expect(leftovers()).toEqual([]);
    // Nor the parent folders it had to create for the output.
    expect(() => convertCheckpoint(dir, join(work, 'new-parent', 'deeper', 'out'))).toThrow(MissingTensorError);
    expect(existsSync(join(work, 'new-parent'))).toBe(false);
  });

  it('names a tensor whose shape does not match config.json', () => {
    const dir = alteredCheckpoint('shape', (t) => t.set('enc_to_dec_proj.bias', { data: new Float32Array(31), shape: [31] }));
    const out = join(work, 'out-shape');
    expect(() => convertCheckpoint(dir, out)).toThrow(TensorShapeError);
    expect(() => convertCheckpoint(dir, out)).toThrow(/"enc_to_dec_proj\.bias" has shape \[31\] but config\.json implies \[32\]/);
    expect(existsSync(out)).toBe(false);
  });

  it('rejects an unknown model_type naming the file', () => {
    const dir = alteredCheckpoint('modeltype', (_t, c) => (c.model_type = 'bark'));
    expect(() => convertCheckpoint(dir, join(work, 'out-type'))).toThrow(ModelConfigError);
    expect(() => convertCheckpoint(dir, join(work, 'out-type'))).toThrow(/config\.json: unknown model_type "bark"/);
  });

  it('rejects an unsupported output dtype before doing any work', () => {
    expect(() => convertCheckpoint(fixtureCheckpointDir('musicgen-tiny'), join(work, 'out-q4'), { dtype: 'q4' })).toThrow(UnsupportedDtypeError);
    expect(existsSync(join(work, 'out-q4'))).toBe(false);
  });

  it('rejects a corrupt safetensors header', () => {
    const dir = join(work, 'corrupt');
    mkdirSync(dir);
    copyFileSync(join(fixtureCheckpointDir('musicgen-tiny'), 'config.json'), join(dir, 'config.json'));
    const bad = Buffer.alloc(64);
    bad.writeBigUInt64LE(40n, 0);
    bad.write('{"a": {"dtype": "F32", "shape": [2', 8);
    writeFileSync(join(dir, 'model.safetensors'), bad);
    expect(() => convertCheckpoint(dir, join(work, 'out-corrupt'))).toThrow(CorruptCheckpointError);
    expect(() => convertCheckpoint(dir, join(work, 'out-corrupt'))).toThrow(/model\.safetensors: corrupt safetensors header/);
    expect(existsSync(join(work, 'out-corrupt'))).toBe(false);
    expect(leftovers()).toEqual([]);
  });
});
