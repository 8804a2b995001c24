// Checks that the decoder variants of build-variants.js compute what the standard graph computes
// (same logits on a first step and on cached steps; new K/V = the last slot of the standard
// present K/V), on a seeded tiny model. Not a timing: run by hand after changing the rewrites.
//
//   node scripts/bench/check-variants.js
import * as ort from 'onnxruntime-node';
import { buildDecoderGraph } from '../../dist/convert/decoderGraph.js';
import { presetConfig } from '../../dist/convert/presets.js';
import { RandomWeights } from '../../dist/convert/randomWeights.js';
import { serializeModel } from '../../dist/convert/serialize.js';
import { CheckedWeights } from '../../dist/convert/weights.js';
import { parseModelConfig } from '../../dist/model/modelConfig.js';
import { newKvOutputs, splitAttention } from './build-variants.js';

const config = parseModelConfig(presetConfig('tiny', 3));
const c = config.decoder;
const make = (split) => {
  const g = buildDecoderGraph(config, new CheckedWeights(new RandomWeights(3)));
  if (split) {
    newKvOutputs(g);
    splitAttention(g);
  }
  return ort.InferenceSession.create(serializeModel(g, 'd.onnx').model);
};
const [std, spl] = [await make(false), await make(true)];
const R = 2;
const T = 5;
const hd = c.hiddenSize / c.numHeads;
const textDim = config.textEncoder.dModel;
const rand = (n) => Float32Array.from({ length: n }, () => Math.random() - 0.5);
const fixed = {
  encoder_hidden_states: new ort.Tensor('float32', rand(R * T * textDim), [R, T, textDim]),
  encoder_attention_mask: new ort.Tensor('int64', BigInt64Array.from({ length: R * T }, (_, i) => (i < T ? 1n : 0n)), [R, T]),
};
const empty = new ort.Tensor('float32', new Float32Array(0), [R, c.numHeads, 0, hd]);
const maxDiff = (a, b) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
let feedsStd = null;
let feedsSpl = null;
for (let step = 0; step < 4; step++) {
  const L = step === 0 ? 3 : 1;
  const ids = new ort.Tensor('int64', BigInt64Array.from({ length: R * c.numCodebooks * L }, (_, i) => BigInt((i * 31 + step) % c.vocabSize)), [R * c.numCodebooks, L]);
  const base = { ...fixed, input_ids: ids, use_cache_branch: new ort.Tensor('bool', Uint8Array.from([step ? 1 : 0]), [1]) };
  const fs = { ...base };
  const fp = { ...base };
  for (let i = 0; i < c.numLayers; i++) {
    for (const kv of ['key', 'value']) {
      for (const part of ['decoder', 'encoder']) {
        const name = `past_key_values.${i}.${part}.${kv}`;
        fs[name] = feedsStd?.[name] ?? empty;
        fp[name] = feedsSpl?.[name] ?? empty;
      }
    }
  }
  const a = await std.run(fs);
  const b = await spl.run(fp);
  console.log(`step ${step}: logits max |diff| ${maxDiff(a.logits.data, b.logits.data).toExponential(2)}; new K shape ${b['present.0.decoder.key'].dims}`);
  // Next caches: the standard graph's presents; the split graph's past + its new K/V (appended here in JS).
  feedsStd = {};
  feedsSpl = {};
  for (let i = 0; i < c.numLayers; i++) {
    for (const kv of ['key', 'value']) {
      feedsStd[`past_key_values.${i}.decoder.${kv}`] = a[`present.${i}.decoder.${kv}`];
      feedsStd[`past_key_values.${i}.encoder.${kv}`] = a[`present.${i}.encoder.${kv}`];
      const past = fp[`past_key_values.${i}.decoder.${kv}`];
      const fresh = b[`present.${i}.decoder.${kv}`];
      const P = past.dims[2];
      const Ln = fresh.dims[2];
      const out = new Float32Array(R * c.numHeads * (P + Ln) * hd);
      for (let rh = 0; rh < R * c.numHeads; rh++) {
        out.set(past.data.subarray(rh * P * hd, (rh + 1) * P * hd), rh * (P + Ln) * hd);
        out.set(fresh.data.subarray(rh * Ln * hd, (rh + 1) * Ln * hd), rh * (P + Ln) * hd + P * hd);
      }
      feedsSpl[`past_key_values.${i}.decoder.${kv}`] = new ort.Tensor('float32', out, [R, c.numHeads, P + Ln, hd]);
      feedsSpl[`past_key_values.${i}.encoder.${kv}`] = step === 0 ? b[`present.${i}.encoder.${kv}`] : fp[`past_key_values.${i}.encoder.${kv}`];
    }
  }
}
