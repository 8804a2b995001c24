import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConversionError, OutputExistsError } from '../../src/convert/errors.js';
import { kvbufferFromMerged } from '../../src/convert/kvbufferFromMerged.js';
import { convertCheckpoint, synthesizeModel } from '../../src/convert/modelFolder.js';
import { buildDecoderGraph } from '../../src/convert/decoderGraph.js';
import type { OnnxGraph } from '../../src/convert/graph.js';
import { MergedDecoderWeights } from '../../src/convert/mergedDecoderWeights.js';
import { OnnxGraphView } from '../../src/convert/onnxGraphView.js';
import { openCheckpointWeights } from '../../src/convert/safetensors.js';
import { writeOnnxModel } from '../../src/convert/serialize.js';
import { CheckedWeights } from '../../src/convert/weights.js';
import { parseModelConfig, type MusicgenModelConfig } from '../../src/model/modelConfig.js';
import { MusicGen } from '../../src/inference/musicgen.js';
import { readOnnxMetadata } from '../../src/model/onnxMetadata.js';
import { decomposeLayerNorms, quantizeDynamicLikeOrt, quantizeUint8, splitLmHeads, transposeWeights } from '../helpers/exporterIdioms.js';
import { fixtureCheckpointDir, fixtureI64, fixtureTextTokens, flatCodes, type FixtureModel } from '../helpers/fixtures.js';

// A folder holding only the transformers.js merged decoder (as on the hub), written by our
// converter with --decoder-layout merged, gets our kvbuffer decoder built from the merged graph's
// weights; the codes are checked against the merged decoder and the PyTorch reference fixtures.

const root = join(process.env.MUSICGEN_TEST_TMP ?? tmpdir(), `musicgen-ts-kvbuffer-from-merged-${process.pid}`);
const FRAMES = 17;
const greedy = { useSampling: false, cfgCoef: 3, frames: FRAMES };

function mergedOnlyFixture(model: FixtureModel): string {
  const dir = join(root, model);
  convertCheckpoint(fixtureCheckpointDir(model), dir, { decoderLayout: 'merged', force: true });
  return dir;
}

async function greedyCodes(dir: string, opts: { dtype?: string; decoderLayout?: string }, model?: FixtureModel): Promise<{ codes: number[]; layout: string }> {
  const mg = await MusicGen.load(dir, { threads: 1, ...opts });
  try {
    const r = model ? await mg.generate(fixtureTextTokens(model), { params: greedy }) : await mg.generateUnconditional(2, { params: greedy });
    return { codes: flatCodes(r.codes), layout: mg.files.decoderLayout };
  } finally {
    await mg.dispose();
  }
}

describe.each<FixtureModel>(['musicgen-tiny', 'musicgen-stereo-tiny', 'musicgen-melody-tiny'])('kvbuffer decoder from a merged-only folder (%s)', (model) => {
  it('is built into onnx/, loaded by default, and gives the merged decoder\'s and PyTorch\'s greedy codes', async () => {
    const dir = mergedOnlyFixture(model);
    expect(existsSync(join(dir, 'onnx', 'decoder_model_kvbuffer.onnx'))).toBe(false);
    const merged = await greedyCodes(dir, {}, model);
    expect(merged.layout).toBe('merged');

    expect(kvbufferFromMerged(dir)).toEqual(['onnx/decoder_model_kvbuffer.onnx', 'onnx/decoder_model_kvbuffer.onnx_data']);
    expect(readOnnxMetadata(join(dir, 'onnx', 'decoder_model_kvbuffer.onnx'))).toMatchObject({ graph: 'decoder_model_kvbuffer', built_from: 'decoder_model_merged.onnx' });
    const fast = await greedyCodes(dir, {}, model);
    expect(fast.layout).toBe('kvbuffer');
    expect(fast.codes).toEqual(merged.codes);
    const ref = model === 'musicgen-melody-tiny' ? 'gen_text_cfg3' : 'gen_cfg3';
    expect(fast.codes).toEqual(fixtureI64(model, `${ref}.codes`).data);
    // Nothing but the new decoder was added.
    expect(readdirSync(join(dir, 'onnx')).filter((f) => f.startsWith('.'))).toEqual([]);
  });
});

describe('kvbuffer decoder from a q8 merged decoder', () => {
  it('keeps the int8 grid: the codes equal the merged q8 decoder\'s and a direct q8 conversion\'s', async () => {
    const dir = join(root, 'tiny-q8-merged');
    synthesizeModel('tiny', dir, { seed: 3, dtype: 'q8', decoderLayout: 'merged', force: true });
    const direct = join(root, 'tiny-q8-kvbuffer');
    synthesizeModel('tiny', direct, { seed: 3, dtype: 'q8', force: true });
    const merged = await greedyCodes(dir, { dtype: 'q8' });
    expect(merged.layout).toBe('merged');
    expect(kvbufferFromMerged(dir, { dtypes: ['q8'] })).toEqual(['onnx/decoder_model_kvbuffer_quantized.onnx', 'onnx/decoder_model_kvbuffer_quantized.onnx_data']);
    const fast = await greedyCodes(dir, { dtype: 'q8' });
    expect(fast.layout).toBe('kvbuffer');
    expect(fast.codes).toEqual(merged.codes);
    expect(fast.codes).toEqual((await greedyCodes(direct, { dtype: 'q8' })).codes);
  });
});

describe('kvbufferFromMerged refuses', () => {
  it('a folder without a merged decoder, an existing kvbuffer decoder without force, and a broken merged file, leaving nothing behind', () => {
    const dir = mergedOnlyFixture('musicgen-tiny');
    kvbufferFromMerged(dir);
    expect(() => kvbufferFromMerged(dir)).toThrow(OutputExistsError);
    expect(() => kvbufferFromMerged(dir, { dtypes: ['q8'] })).toThrow(/no onnx\/decoder_model_merged_quantized\.onnx/);
    expect(() => kvbufferFromMerged(dir, { dtypes: ['fp16'] })).toThrow(/fp16/);
    const empty = join(root, 'empty');
    mkdirSync(join(empty, 'onnx'), { recursive: true });
    expect(() => kvbufferFromMerged(empty)).toThrow(ConversionError);
    writeFileSync(join(empty, 'config.json'), '{}');
    expect(() => kvbufferFromMerged(empty)).toThrow(/no onnx\/decoder_model_merged\.onnx/);

    // A folder left by a killed conversion (pid 2^22 + 1 is above Linux's pid_max) is removed.
    const stale = join(mergedOnlyFixture('musicgen-melody-tiny'), 'onnx', `.decoder_model_kvbuffer.onnx.partial-${2 ** 22 + 1}-1`);
    mkdirSync(stale);
    kvbufferFromMerged(join(stale, '..', '..'));
    expect(existsSync(stale)).toBe(false);

    const broken = mergedOnlyFixture('musicgen-stereo-tiny');
    writeFileSync(join(broken, 'onnx', 'decoder_model_merged.onnx'), 'not a protobuf');
    const before = readdirSync(join(broken, 'onnx')).sort();
    expect(() => kvbufferFromMerged(broken)).toThrow();
    expect(readdirSync(join(broken, 'onnx')).sort()).toEqual(before);
  });
});

// Graphs written the way other exporters write them (test/helpers/exporterIdioms.ts): the weights
// are found by data flow whatever the node and initializer names.
function variantFolder(model: FixtureModel, name: string, rewrite: (g: OnnxGraph, config: MusicgenModelConfig) => void, file = 'decoder_model_merged.onnx'): { dir: string; config: MusicgenModelConfig } {
  const dir = join(root, `${model}-${name}`);
  convertCheckpoint(fixtureCheckpointDir(model), dir, { decoderLayout: 'merged', force: true });
  const config = parseModelConfig(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')));
  const g = buildDecoderGraph(config, new CheckedWeights(openCheckpointWeights(fixtureCheckpointDir(model))), undefined, 'merged');
  rewrite(g, config);
  writeOnnxModel(join(dir, 'onnx', file), g);
  return { dir, config };
}

function checkpointWeights(model: FixtureModel): CheckedWeights {
  return new CheckedWeights(openCheckpointWeights(fixtureCheckpointDir(model)));
}

describe.each<FixtureModel>(['musicgen-tiny', 'musicgen-melody-tiny'])('merged decoders in other exporters\' idioms (%s)', (model) => {
  it('torch.onnx below opset 17 (decomposed LayerNorm, one MatMul per LM head, [out, in] weights): the checkpoint\'s exact weights and PyTorch\'s codes', async () => {
    const { dir, config } = variantFolder(model, 'torch-idioms', (g, c) => {
      decomposeLayerNorms(g);
      splitLmHeads(g, c.decoder.numCodebooks);
      transposeWeights(g, 'fc1');
    });
    const found = new MergedDecoderWeights(OnnxGraphView.read(join(dir, 'onnx', 'decoder_model_merged.onnx')), config);
    const ckpt = checkpointWeights(model);
    expect(found.names().length).toBeGreaterThan(20);
    for (const name of found.names()) {
      const t = found.read(name);
      expect(Array.from(t.data), name).toEqual(Array.from(ckpt.get(name, t.shape)));
    }
    kvbufferFromMerged(dir);
    const fast = await greedyCodes(dir, {}, model);
    expect(fast.layout).toBe('kvbuffer');
    const ref = model === 'musicgen-melody-tiny' ? 'gen_text_cfg3' : 'gen_cfg3';
    expect(fast.codes).toEqual(fixtureI64(model, `${ref}.codes`).data);
  });

  it('torch.onnx idioms quantised by onnxruntime quantize_dynamic (uint8 MatMulInteger, one grid per LM head): weights within half a step; our q8 decoder keeps their grids and gives the same greedy codes', async () => {
    const { dir, config } = variantFolder(
      model,
      'ort-q8',
      (g, c) => {
        decomposeLayerNorms(g);
        splitLmHeads(g, c.decoder.numCodebooks);
        transposeWeights(g, 'fc1'); // behind a Transpose: quantize_dynamic (MatMulConstBOnly) leaves it float
        quantizeDynamicLikeOrt(g);
      },
      'decoder_model_merged_quantized.onnx',
    );
    const found = new MergedDecoderWeights(OnnxGraphView.read(join(dir, 'onnx', 'decoder_model_merged_quantized.onnx')), config);
    const ckpt = checkpointWeights(model);
    let quantised = 0;
    for (const name of found.names()) {
      const t = found.read(name);
      const want = ckpt.get(name, t.shape);
      const grid = found.grid(name);
      if (grid) quantised++;
      expect(grid === null, name).toBe(name.includes('fc1') || t.shape.length === 1 || name.includes('embed'));
      const tol = grid ? quantizeUint8(want).scale / 2 + 1e-7 : 0;
      for (let i = 0; i < want.length; i++) expect(Math.abs(t.data[i] - want[i]), `${name}[${i}]`).toBeLessThanOrEqual(tol);
    }
    expect(quantised).toBeGreaterThan(10);
    expect(kvbufferFromMerged(dir, { dtypes: ['q8'] })).toEqual(['onnx/decoder_model_kvbuffer_quantized.onnx', 'onnx/decoder_model_kvbuffer_quantized.onnx_data']);
    const merged = await greedyCodes(dir, { dtype: 'q8', decoderLayout: 'merged' }, model);
    const fast = await greedyCodes(dir, { dtype: 'q8' }, model);
    expect(fast.layout).toBe('kvbuffer');
    expect(fast.codes.length).toBe(merged.codes.length);
    // The same uint8 weights, multiplied by DynamicQuantizeMatMul (what onnxruntime fuses the
    // MatMulInteger pattern into): the merged q8 decoder's greedy codes exactly.
    expect(fast.codes).toEqual(merged.codes);
  });
});
