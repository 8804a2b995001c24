import { spawn } from 'node:child_process';
import { cpSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { onnxTypes as onnx } from '../../src/convert/graph.js';
import { hasMappedWeights, removeStaleGraphFiles } from '../../src/convert/graphFiles.js';
import { mapDecoderWeights } from '../../src/convert/mapDecoderWeights.js';
import { convertCheckpoint, synthesizeModel } from '../../src/convert/modelFolder.js';
import { MusicGen } from '../../src/inference/musicgen.js';
import { embedWeights, initializerUses, isExternal } from '../helpers/embeddedDecoder.js';
import { fixtureCheckpointDir, fixtureI64, fixtureTextTokens, flatCodes } from '../helpers/fixtures.js';

// Our kvbuffer decoder keeps the weights onnxruntime prepacks in `<file>_data` (it opens ~3x
// faster: BENCHMARKS.md "Load time"), everything a step reads unpacked inside the .onnx file
// (src/convert/mappedWeights.ts). Folders written before, with every weight inside, still load,
// and mapDecoderWeights moves their weights without changing a number.

const root = join(process.env.MUSICGEN_TEST_TMP ?? tmpdir(), `musicgen-ts-mapped-decoder-${process.pid}`);
const KV = 'decoder_model_kvbuffer.onnx';

async function greedyCodes(dir: string, dtype = 'fp32'): Promise<number[]> {
  const mg = await MusicGen.load(dir, { threads: 1, dtype });
  try {
    expect(mg.files.decoderLayout).toBe('kvbuffer');
    return flatCodes((await mg.generate(fixtureTextTokens('musicgen-tiny'), { params: { useSampling: false, cfgCoef: 3, frames: 17 } })).codes);
  } finally {
    await mg.dispose();
  }
}

describe('the converter writes the kvbuffer decoder with its prepacked weights mapped', () => {
  it('MatMul weights in _data, embeddings and LayerNorm inside; same greedy codes as PyTorch and as the embedded decoder; an old embedded folder loads and is rewritten losslessly', async () => {
    const dir = join(root, 'tiny');
    convertCheckpoint(fixtureCheckpointDir('musicgen-tiny'), dir, { force: true });
    const file = join(dir, 'onnx', KV);
    expect(hasMappedWeights(file)).toBe(true);
    const model = onnx.ModelProto.decode(readFileSync(file));
    const inits = initializerUses(model.graph!);
    const big = inits.filter(({ tensor }) => (isExternal(tensor) ? Number(tensor.externalData!.find((e) => e.key === 'length')!.value) : tensor.rawData!.byteLength) >= 1024);
    for (const { tensor, uses, main } of big) {
      const prepacked = uses.every((u) => /^(If>)?(MatMul|DynamicQuantizeMatMul)#1$/.test(u));
      expect(isExternal(tensor), `${tensor.name} (${uses.join(', ')})`).toBe(prepacked && main);
    }
    // All three kinds are there: the Linear / LM-head matrices mapped (those the first step's If
    // branch reads too); the token embeddings (Gather) inside; the If branch's own initializers inside.
    expect(big.filter(({ tensor }) => isExternal(tensor)).length).toBeGreaterThan(20);
    expect(big.some(({ tensor, uses }) => !isExternal(tensor) && uses.includes('Gather#0'))).toBe(true);
    expect(big.some(({ tensor, uses, main }) => main && isExternal(tensor) && uses.includes('If>MatMul#1'))).toBe(true);
    expect(big.some(({ tensor, main }) => !main && !isExternal(tensor))).toBe(true);

    const mapped = await greedyCodes(dir);
    expect(mapped).toEqual(Array.from(fixtureI64('musicgen-tiny', 'gen_cfg3.codes').data, Number));
    // A folder whose _data is a second hard link of this one loads too: onnxruntime's checker
    // refuses that for external data of initializers defined in a subgraph, which stay inside.
    const linked = join(root, 'tiny-hard-linked');
    cpSync(dir, linked, { recursive: true });
    rmSync(join(linked, 'onnx', `${KV}_data`));
    linkSync(join(dir, 'onnx', `${KV}_data`), join(linked, 'onnx', `${KV}_data`));
    expect(await greedyCodes(linked)).toEqual(mapped);
    rmSync(linked, { recursive: true });

    // The layout musicgen-ts wrote before: every weight inside the .onnx file.
    const old = join(root, 'tiny-embedded');
    cpSync(dir, old, { recursive: true });
    embedWeights(join(old, 'onnx', KV));
    expect(existsSync(join(old, 'onnx', `${KV}_data`))).toBe(false);
    expect(hasMappedWeights(join(old, 'onnx', KV))).toBe(false);
    expect(await greedyCodes(old)).toEqual(mapped);

    // Rewritten in place: the side file is byte for byte the converter's, the codes the same.
    expect(mapDecoderWeights(join(old, 'onnx', KV))).toEqual([KV, `${KV}_data`]);
    expect(readFileSync(join(old, 'onnx', `${KV}_data`)).equals(readFileSync(join(dir, 'onnx', `${KV}_data`)))).toBe(true);
    expect(hasMappedWeights(join(old, 'onnx', KV))).toBe(true);
    expect(await greedyCodes(old)).toEqual(mapped);
    expect(mapDecoderWeights(join(old, 'onnx', KV))).toEqual([]);
    expect(readdirSync(join(old, 'onnx')).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('a decoder with every weight in _data (over 2 GB, written before) gets the unpacked ones back inside, with the same codes', async () => {
    const dir = join(root, 'tiny-all-mapped');
    convertCheckpoint(fixtureCheckpointDir('musicgen-tiny'), dir, { force: true, forceExternalData: true });
    const file = join(dir, 'onnx', KV);
    const gathers = (): boolean[] =>
      initializerUses(onnx.ModelProto.decode(readFileSync(file)).graph!)
        .filter(({ uses }) => uses.includes('Gather#0'))
        .map(({ tensor }) => isExternal(tensor));
    expect(gathers().length).toBeGreaterThan(0);
    expect(gathers().every(Boolean)).toBe(true);
    const before = await greedyCodes(dir);
    const dataBefore = readFileSync(`${file}_data`);
    expect(mapDecoderWeights(file)).toEqual([KV]);
    expect(gathers().some(Boolean)).toBe(false);
    expect(readFileSync(`${file}_data`).equals(dataBefore)).toBe(true);
    expect(await greedyCodes(dir)).toEqual(before);
    expect(mapDecoderWeights(file)).toEqual([]);
    expect(readdirSync(join(dir, 'onnx')).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('q8: the int8 matrices mapped, their scales and zero points inside; the embedded q8 decoder gives the same codes', async () => {
    const dir = join(root, 'tiny-q8');
    synthesizeModel('tiny', dir, { seed: 5, dtype: 'q8', force: true });
    const file = join(dir, 'onnx', 'decoder_model_kvbuffer_quantized.onnx');
    const inits = initializerUses(onnx.ModelProto.decode(readFileSync(file)).graph!);
    const slot = (uses: string[], n: number): boolean => uses.some((u) => u.replace(/^If>/, '') === `DynamicQuantizeMatMul#${n}`);
    const dq = inits.filter(({ main }) => main);
    expect(dq.filter(({ uses }) => slot(uses, 1)).length).toBeGreaterThan(10);
    expect(dq.filter(({ uses }) => slot(uses, 1)).every(({ tensor }) => isExternal(tensor))).toBe(true);
    expect(dq.filter(({ uses }) => slot(uses, 2) || slot(uses, 3)).some(({ tensor }) => isExternal(tensor))).toBe(false);
    const mg = await MusicGen.load(dir, { threads: 1, dtype: 'q8' });
    const params = { params: { useSampling: false, cfgCoef: 3, frames: 12 } };
    const mapped = flatCodes((await mg.generate(['calm piano'], params)).codes);
    await mg.dispose();
    const old = join(root, 'tiny-q8-embedded');
    cpSync(dir, old, { recursive: true });
    embedWeights(join(old, 'onnx', 'decoder_model_kvbuffer_quantized.onnx'));
    const mgOld = await MusicGen.load(old, { threads: 1, dtype: 'q8' });
    expect(flatCodes((await mgOld.generate(['calm piano'], params)).codes)).toEqual(mapped);
    await mgOld.dispose();
  });
});

/** One MatMul with a [4096, 16384] float weight (256 MB) inside the file: long enough to write that a kill lands mid-write. */
function bigEmbeddedGraph(file: string, weight: Float32Array): void {
  const [k, n] = [4096, 16384];
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'g',
      node: [{ opType: 'MatMul', input: ['x', 'w'], output: ['y'] }],
      initializer: [{ name: 'w', dims: [k, n], dataType: 1, rawData: new Uint8Array(weight.buffer) }],
      input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 1 }, { dimValue: k }] } } } }],
      output: [{ name: 'y', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 1 }, { dimValue: n }] } } } }],
    },
  });
  writeFileSync(file, onnx.ModelProto.encode(model).finish());
}

describe('rewriting a decoder is atomic', () => {
  it('SIGKILL in the middle of the write leaves the old graph whole and no side file; the next run cleans up and completes', async () => {
    const onnxDir = join(root, 'kill', 'onnx');
    mkdirSync(onnxDir, { recursive: true });
    const file = join(onnxDir, KV);
    const weight = new Float32Array(4096 * 16384);
    for (let i = 0; i < weight.length; i += 4097) weight[i] = (i % 13) - 6;
    bigEmbeddedGraph(file, weight);
    const original = readFileSync(file);

    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'mapDecoderChild.ts'), file], { stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    // Killed once its scratch folder exists: the two files are being written (256 MB).
    let scratch: string | undefined;
    for (let i = 0; i < 20_000 && child.exitCode === null; i++) {
      scratch = readdirSync(onnxDir).find((f) => f.includes('.partial-'));
      if (scratch) {
        child.kill('SIGKILL');
        break;
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    expect(await exited).toBe('SIGKILL');
    expect(scratch).toBeDefined();
    expect(readdirSync(onnxDir).sort()).toEqual([scratch, KV].sort());
    expect(readFileSync(file).equals(original)).toBe(true);

    // A side file beside an embedded graph (a kill between the two renames) is not taken for its weights.
    writeFileSync(join(onnxDir, `${KV}_data`), 'stale');
    expect(hasMappedWeights(file)).toBe(false);
    removeStaleGraphFiles(onnxDir);
    expect(readdirSync(onnxDir)).toEqual([KV]);

    expect(mapDecoderWeights(file)).toEqual([KV, `${KV}_data`]);
    expect(statSync(file).size).toBeLessThan(10_000);
    const x = new Float32Array(4096).fill(0.5);
    const y = (await (await ort.InferenceSession.create(file)).run({ x: new ort.Tensor('float32', x, [1, 4096]) })).y.data as Float32Array;
    const want = new Float32Array(16384);
    for (let i = 0; i < weight.length; i += 4097) want[i % 16384] += 0.5 * weight[i];
    expect(Array.from(y)).toEqual(Array.from(want));
  }, 120_000);
});
