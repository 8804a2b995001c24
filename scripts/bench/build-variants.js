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
//     split / split-q8 / split-nbits8: newkv + attention over past and new K/V separately (no Concat of the cache
//                      in the graph): scores = [q.K_past | q.k_new], out = p_past.V_past + p_new.v_new.
//                      A pre-allocated cache with capacity C (masked beyond P) would run at C's cost.
//     kvbuffer-nbits8 / kvbuffer-nbits8-b128: the converter's kvbuffer decoder (src/convert, the layout the
//                      split study led to) with MatMulNBits bits=8 accuracy_level=4 weights instead of
//                      DynamicQuantizeMatMul (block 32 / 128); time with steps.js --layout kvbuffer --file.
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { buildDecoderGraph } from '../../dist/convert/decoderGraph.js';
import { presetConfig } from '../../dist/convert/presets.js';
import { RandomWeights } from '../../dist/convert/randomWeights.js';
import { writeOnnxModel } from '../../dist/convert/serialize.js';
import { CheckedWeights } from '../../dist/convert/weights.js';
import { parseModelConfig } from '../../dist/model/modelConfig.js';
import { BENCH_SEED, cacheDir } from './build-models.js';
import { rewriteWeightMatMuls } from './int8Variants.js';

export const VARIANTS = {
  newkv: { newKv: true, formulation: 'fp32' },
  'newkv-q8': { newKv: true, formulation: 'dqmm' },
  nbits8: { newKv: false, formulation: 'nbits8-b32-acc4' },
  'newkv-nbits8': { newKv: true, formulation: 'nbits8-b32-acc4' },
  split: { newKv: true, split: true, formulation: 'fp32' },
  'split-q8': { newKv: true, split: true, formulation: 'dqmm' },
  'split-nbits8': { newKv: true, split: true, formulation: 'nbits8-b32-acc4' },
  'kvbuffer-nbits8': { layout: 'kvbuffer', formulation: 'nbits8-b32-acc4' },
  'kvbuffer-nbits8-b128': { layout: 'kvbuffer', formulation: 'nbits8-b128-acc4' },
};

export function variantFile(name) {
  return join(cacheDir(), `small-seed${BENCH_SEED}-variants`, `${name}.onnx`);
}

/**
 * Points each present.N.decoder.{key,value} output at the new step's K/V (the second input of the
 * Concat that appends it to the past) instead of the concatenation: the graph still attends over
 * past + new, but onnxruntime-node then copies 2 x 24 small tensors per step instead of the cache.
 */
export function newKvOutputs(g) {
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

/**
 * Attention without the in-graph Concat of past and new K/V (see `split` above). Works on the
 * pattern buildDecoderGraph emits: kcat = Concat(past, new) -> Transpose -> MatMul(q, .) = scores,
 * and MatMul(probs, vcat) = context. Run after newKvOutputs, so the Concats become dead and go.
 */
export function splitAttention(g) {
  const concats = new Map();
  for (const n of g.nodes) {
    if (n.opType === 'Concat' && /^past_key_values\.\d+\.decoder\./.test(n.inputs[0])) concats.set(n.outputs[0], n);
  }
  const consumers = (name) => g.nodes.filter((n) => n.inputs.includes(name));
  const nodes = [...g.nodes];
  let changed = 0;
  for (const node of nodes) {
    // scores: Transpose(kcat) consumed by MatMul(q, kT)
    if (node.opType === 'Transpose' && concats.has(node.inputs[0])) {
      const [past, fresh] = concats.get(node.inputs[0]).inputs;
      const perm = node.attrs.perm;
      for (const mm of consumers(node.outputs[0])) {
        if (mm.opType !== 'MatMul') throw new Error(`unexpected consumer ${mm.opType} of the key transpose`);
        const before = g.nodes.length;
        const sPast = g.matMul(mm.inputs[0], g.node('Transpose', [past], { perm }));
        const sNew = g.matMul(mm.inputs[0], g.node('Transpose', [fresh], { perm }));
        const added = g.nodes.splice(before);
        g.nodes.splice(g.nodes.indexOf(mm), 0, ...added);
        Object.assign(mm, { opType: 'Concat', inputs: [sPast, sNew], attrs: { axis: { kind: 'int', value: -1 } } });
        changed++;
      }
    }
    // context: MatMul(probs, vcat) -> MatMul(probs[..., :P], past) + MatMul(probs[..., P:], new)
    if (node.opType === 'MatMul' && concats.has(node.inputs[1])) {
      const [past, fresh] = concats.get(node.inputs[1]).inputs;
      const probs = node.inputs[0];
      const before = g.nodes.length;
      const P = g.shape(past, 2, 3);
      const pPast = g.slice(probs, g.constI64([0]), P, [-1]);
      const pNew = g.slice(probs, P, g.constI64([2 ** 31 - 1]), [-1]);
      const ctxPast = g.matMul(pPast, past);
      const ctxNew = g.matMul(pNew, fresh);
      const added = g.nodes.splice(before);
      g.nodes.splice(g.nodes.indexOf(node), 0, ...added);
      Object.assign(node, { opType: 'Add', inputs: [ctxPast, ctxNew] });
      changed++;
    }
  }
  // Drop the cache Concats (and their Transposes) nobody reads any more.
  for (let pass = 0; pass < 2; pass++) {
    const used = new Set(g.nodes.flatMap((n) => n.inputs));
    const outputs = new Set(g.outputs.map((o) => o.name));
    for (let i = g.nodes.length - 1; i >= 0; i--) {
      const n = g.nodes[i];
      if ((n.opType === 'Concat' || n.opType === 'Transpose') && n.outputs.every((o) => !used.has(o) && !outputs.has(o))) g.nodes.splice(i, 1);
    }
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
    const g = buildDecoderGraph(config, new CheckedWeights(new RandomWeights(BENCH_SEED)), undefined, v.layout ?? 'merged');
    const outs = v.newKv ? newKvOutputs(g) : 0;
    const split = v.split ? splitAttention(g) : 0;
    if (v.split && split !== 2 * config.decoder.numLayers) throw new Error(`split attention rewrote ${split} nodes, expected ${2 * config.decoder.numLayers}`);
    const mm = rewriteWeightMatMuls(g, v.formulation);
    mkdirSync(join(file, '..'), { recursive: true });
    const tmp = `${file}.partial-${process.pid}`;
    writeOnnxModel(tmp, g, { metadata: { producer: 'musicgen-ts bench variant', variant: name } });
    renameSync(tmp, file);
    console.log(`built ${file} (${outs} outputs, ${mm} MatMuls rewritten) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
}
