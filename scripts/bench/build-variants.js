// Decoder-only variants of the cached musicgen-small-sized model, to measure candidate changes of
// the converter (src/convert, owned by the lead) before anyone makes them. Same seed and weights
// as build-models.js. Written to <cache>/small-seed1234-variants/<name>.onnx; timed by steps.js
// with --file. Run as its own process (building peaks at ~3.5 GB).
//
//   node scripts/bench/build-variants.js [names...]
//     newkv            fp32; present.N.decoder.* output only the new step's K/V, not the whole cache
//     newkv-q8         the same with the current q8 (DynamicQuantizeMatMul)
//     nbits8           standard outputs, weights as MatMulNBits bits=8 block=32 accuracy_level=4
//     newkv-nbits8     both
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { buildDecoderGraph } from '../../dist/convert/decoderGraph.js';
import { presetConfig } from '../../dist/convert/presets.js';
import { RandomWeights } from '../../dist/convert/randomWeights.js';
import { writeOnnxModel } from '../../dist/convert/serialize.js';
import { CheckedWeights } from '../../dist/convert/weights.js';
import { parseModelConfig } from '../../dist/inference/modelConfig.js';
import { BENCH_SEED, cacheDir } from './build-models.js';
import { rewriteWeightMatMuls } from './int8Variants.js';

export const VARIANTS = {
  newkv: { newKv: true, formulation: 'fp32' },
  'newkv-q8': { newKv: true, formulation: 'dqmm' },
  nbits8: { newKv: false, formulation: 'nbits8-b32-acc4' },
  'newkv-nbits8': { newKv: true, formulation: 'nbits8-b32-acc4' },
};

export function variantFile(name) {
  return join(cacheDir(), `small-seed${BENCH_SEED}-variants`, `${name}.onnx`);
}

/**
 * Points each present.N.decoder.{key,value} output at the new step's K/V (the second input of the
 * Concat that appends it to the past) instead of the concatenation: the graph still attends over
 * past + new, but onnxruntime-node then copies 2 x 24 small tensors per step instead of the cache.
 */
function newKvOutputs(g) {
  const producer = new Map(g.nodes.flatMap((n) => n.outputs.map((o) => [o, n])));
  let changed = 0;
  for (const node of g.nodes) {
    if (node.opType !== 'Identity' || !/^present\.\d+\.decoder\./.test(node.outputs[0])) continue;
    const concat = producer.get(node.inputs[0]);
    if (concat?.opType !== 'Concat') throw new Error(`${node.outputs[0]}: expected a Concat, found ${concat?.opType}`);
    node.inputs = [concat.inputs[1]];
    changed++;
  }
  return changed;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const names = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(VARIANTS);
  const raw = presetConfig('small', BENCH_SEED);
  const config = parseModelConfig(raw);
  for (const name of names) {
    const v = VARIANTS[name];
    if (!v) throw new Error(`unknown variant ${name}`);
    const file = variantFile(name);
    if (existsSync(file)) {
      console.log(`cached: ${file}`);
      continue;
    }
    const t0 = performance.now();
    const g = buildDecoderGraph(config, new CheckedWeights(new RandomWeights(BENCH_SEED)));
    const outs = v.newKv ? newKvOutputs(g) : 0;
    const mm = rewriteWeightMatMuls(g, v.formulation);
    mkdirSync(join(file, '..'), { recursive: true });
    const tmp = `${file}.partial-${process.pid}`;
    writeOnnxModel(tmp, g, { metadata: { producer: 'musicgen-ts bench variant', variant: name } });
    renameSync(tmp, file);
    console.log(`built ${file} (${outs} outputs, ${mm} MatMuls rewritten) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
}
