import { DECODER_GRAPH_NAME, PAST_LENGTH_INPUT, type DecoderLayout } from '../model/decoderLayout.js';
import type { MusicgenModelConfig } from '../model/modelConfig.js';
import { attr, type OnnxGraph as Graph, OnnxGraph } from './graph.js';
import { FLOAT32_MIN } from './t5EncoderGraph.js';
import type { CheckedWeights } from './weights.js';

const D = 'decoder.model.decoder';

/** Names of the graph's cache inputs/outputs for one layer (transformers.js / optimum spelling). */
export function cacheNames(layer: number): {
  pastKey: string;
  pastValue: string;
  pastEncKey: string;
  pastEncValue: string;
  presentKey: string;
  presentValue: string;
  presentEncKey: string;
  presentEncValue: string;
} {
  return {
    pastKey: `past_key_values.${layer}.decoder.key`,
    pastValue: `past_key_values.${layer}.decoder.value`,
    pastEncKey: `past_key_values.${layer}.encoder.key`,
    pastEncValue: `past_key_values.${layer}.encoder.value`,
    presentKey: `present.${layer}.decoder.key`,
    presentValue: `present.${layer}.decoder.value`,
    presentEncKey: `present.${layer}.encoder.key`,
    presentEncValue: `present.${layer}.encoder.value`,
  };
}

interface Dims {
  hidden: number;
  heads: number;
  headDim: number;
}

/** [B, L, hidden] -> [B, heads, L, headDim] (or [B, heads, headDim, L] when `keyT`). */
function splitHeads(g: Graph, x: string, d: Dims, keyT = false): string {
  return g.transpose(g.reshape(x, [0, 0, d.heads, d.headDim]), keyT ? [0, 2, 3, 1] : [0, 2, 1, 3]);
}

/**
 * Attention over a caller-owned past buffer and the new positions without concatenating them:
 * scores = [q.K_past + pastMask | q.k_new + causalMask], context = p_past.V_past + p_new.v_new.
 * Transpose -> MatMul fuses into one FusedMatMul, so the buffer is only read.
 */
function attendBuffered(
  g: Graph,
  q: string,
  past: { key: string; value: string },
  kNew: string,
  vNew: string,
  pastMask: string,
  causalMask: string,
): string {
  const sPast = g.add(g.matMul(q, g.transpose(past.key, [0, 1, 3, 2])), pastMask);
  const sNew = g.add(g.matMul(q, g.transpose(kNew, [0, 1, 3, 2])), causalMask);
  const probs = g.softmax(g.concat([sPast, sNew], -1));
  const C = g.shape(past.key, 2, 3);
  const pPast = g.slice(probs, g.constI64([0]), C, [-1]);
  const pNew = g.slice(probs, C, g.constI64([Number.MAX_SAFE_INTEGER]), [-1]);
  return g.add(g.matMul(pPast, past.value), g.matMul(pNew, vNew));
}

function mergeHeads(g: Graph, x: string, d: Dims): string {
  return g.reshape(g.transpose(x, [0, 2, 1, 3]), [0, 0, d.hidden]);
}

/** softmax(q k^T + mask) v with q already scaled; k, v are [B, H, L, hd]. */
function attend(g: Graph, q: string, k: string, v: string, mask: string): string {
  const kT = g.transpose(k, [0, 1, 3, 2]);
  return g.matMul(g.softmax(g.add(g.matMul(q, kT), mask)), v);
}

/**
 * The MusicGen decoder as `decoder_model_merged`: one graph for the first step and the cached
 * steps, selected by `use_cache_branch`, with the I/O of transformers.js / optimum (docs/MODEL_FORMAT.md).
 * Melody models (no cross-attention) prepend [chroma tiled to chroma_length | text] to the first
 * step's sequence instead; see docs/MODEL_FORMAT.md.
 */
export function buildDecoderGraph(
  config: MusicgenModelConfig,
  w: CheckedWeights,
  onLayer?: (done: number, total: number, graph: OnnxGraph) => void,
  kvLayout: DecoderLayout = 'merged',
): OnnxGraph {
  const buffered = kvLayout === 'kvbuffer';
  const c = config.decoder;
  const melody = config.melody;
  const textDim = config.textEncoder.dModel;
  const K = c.numCodebooks;
  const V = c.vocabSize;
  const d: Dims = { hidden: c.hiddenSize, heads: c.numHeads, headDim: c.hiddenSize / c.numHeads };
  const scaling = d.headDim ** -0.5;
  const g = new OnnxGraph(DECODER_GRAPH_NAME[kvLayout]);

  const encMask = g.input('encoder_attention_mask', 'int64', ['batch_size', 'encoder_sequence_length']);
  const inputIds = g.input('input_ids', 'int64', ['batch_size_x_codebooks', 'decoder_sequence_length']);
  const encStates = g.input('encoder_hidden_states', 'float32', ['batch_size', 'encoder_sequence_length', textDim]);
  const chroma = melody ? g.input('input_features', 'float32', ['batch_size', 'chroma_frames', melody.numChroma]) : '';
  const past: Array<{ key: string; value: string; encKey: string; encValue: string }> = [];
  for (let i = 0; i < c.numLayers; i++) {
    const n = cacheNames(i);
    const cacheDims = ['batch_size', d.heads, buffered ? 'past_capacity' : 'past_decoder_sequence_length', d.headDim];
    const key = g.input(n.pastKey, 'float32', cacheDims);
    const value = g.input(n.pastValue, 'float32', cacheDims);
    let encKey = '';
    let encValue = '';
    if (!melody) {
      const encDims = ['batch_size', d.heads, 'encoder_sequence_length_out', d.headDim];
      encKey = g.input(n.pastEncKey, 'float32', encDims);
      encValue = g.input(n.pastEncValue, 'float32', encDims);
    }
    past.push({ key, value, encKey, encValue });
  }
  const useCache = g.input('use_cache_branch', 'bool', [1]);
  const pastLength = buffered ? g.input(PAST_LENGTH_INPUT, 'int64', [1]) : '';
  const useCacheScalar = g.squeeze(useCache, [0]);

  // Projected conditioning: enc_to_dec_proj (with bias), then zeroed where the mask is 0 so the
  // null (CFG) rows and padding carry exact zeros, as HF's forward() does.
  const projectText = (sg: Graph): string => {
    const wT = sg.weight('enc_to_dec_proj', 'float32', [textDim, d.hidden], w.linearT('enc_to_dec_proj.weight', d.hidden, textDim));
    const b = sg.weight('enc_to_dec_proj_b', 'float32', [d.hidden], w.get('enc_to_dec_proj.bias', [d.hidden]));
    return sg.mul(sg.linear(encStates, wT, b), sg.unsqueeze(sg.cast(encMask, 'float32'), [2]));
  };

  // ---- token embeddings: sum over codebooks of embed_tokens[k](ids[:, k]) ----
  const idsShape = g.concat([g.constI64([-1, K]), g.shape(inputIds, 1, 2)], 0);
  const ids3 = g.reshape(inputIds, idsShape);
  const embeds: string[] = [];
  for (let k = 0; k < K; k++) {
    const table = g.weight(`embed_tokens_${k}`, 'float32', [V + 1, d.hidden], w.get(`${D}.embed_tokens.${k}.weight`, [V + 1, d.hidden]));
    embeds.push(g.gather(table, g.gather(ids3, g.scalarI64(k), 1)));
  }
  let hidden = embeds.length === 1 ? embeds[0] : g.node('Sum', embeds);
  if (c.scaleEmbedding) hidden = g.mul(hidden, g.scalarF32(Math.sqrt(d.hidden)));

  // Melody: the first step's sequence is [chroma tiled | text | tokens]; cached steps feed tokens only.
  // The weights are created in the outer graph (branches may read outer values; initializers inside
  // a branch would be duplicated per branch).
  let tokenCount = '';
  if (melody) {
    const chromaW = g.weight('audio_enc_to_dec_proj', 'float32', [melody.numChroma, d.hidden], w.linearT('audio_enc_to_dec_proj.weight', d.hidden, melody.numChroma));
    const chromaB = g.weight('audio_enc_to_dec_proj_b', 'float32', [d.hidden], w.get('audio_enc_to_dec_proj.bias', [d.hidden]));
    const tokenEmbeds = hidden;
    const thenG = g.subgraph('melody_cached');
    thenG.output(tokenEmbeds, 'melody_cached_hidden', 'float32', ['batch_size', 'sequence_length', d.hidden]);
    const elseG = g.subgraph('melody_first');
    const chromaH = elseG.linear(chroma, chromaW, chromaB);
    // HF: repeat(1, ceil(chroma_length / n), 1) of the whole sequence, then cut to chroma_length.
    const n = elseG.dim(chromaH, 1);
    const L = elseG.scalarI64(melody.chromaLength);
    const reps = elseG.div(elseG.sub(elseG.add(L, n), elseG.scalarI64(1)), n);
    const tiled = elseG.node('Tile', [chromaH, elseG.concat([elseG.constI64([1]), elseG.unsqueeze(reps, [0]), elseG.constI64([1])], 0)]);
    const cut = elseG.slice(tiled, elseG.constI64([0]), elseG.constI64([melody.chromaLength]), [1]);
    const prefixed = elseG.concat([cut, projectText(elseG), tokenEmbeds], 1);
    elseG.output(prefixed, 'melody_first_hidden', 'float32', ['batch_size', 'sequence_length', d.hidden]);
    const [h] = g.nodeN('If', [useCacheScalar], { then_branch: attr.graph(thenG), else_branch: attr.graph(elseG) });
    tokenCount = g.shape(inputIds, 1, 2);
    hidden = h;
  }

  // ---- positions: past length .. past length + L - 1 ----
  const P = buffered ? g.squeeze(pastLength, [0]) : g.dim(past[0].key, 2);
  const Lh = g.dim(hidden, 1);
  const one = g.scalarI64(1);
  const posTable = g.weight('embed_positions', 'float32', [c.maxPositionEmbeddings, d.hidden], w.get(`${D}.embed_positions.weights`, [c.maxPositionEmbeddings, d.hidden]));
  const qPos = g.range(P, g.add(P, Lh), one);
  hidden = g.add(hidden, g.gather(posTable, qPos));

  // Causal mask [L, P + L]: keys after the query get float32 min (finite, never NaN).
  // kvbuffer: the past slots [0, C) are all before every query, so only the unfilled slots
  // [P, C) are masked ([1, C]); the new keys get the causal mask among themselves ([L, L]).
  const minF = g.scalarF32(FLOAT32_MIN);
  const zero = g.scalarI64(0);
  let causalMask = '';
  let pastMask = '';
  if (buffered) {
    const slots = g.range(zero, g.dim(past[0].key, 2), one);
    pastMask = g.unsqueeze(g.mul(g.cast(g.node('GreaterOrEqual', [slots, P]), 'float32'), minF), [0]);
    const rel = g.range(zero, Lh, one);
    causalMask = g.mul(g.cast(g.node('Greater', [g.unsqueeze(rel, [0]), g.unsqueeze(rel, [1])]), 'float32'), minF);
  } else {
    const kPos = g.range(zero, g.add(P, Lh), one);
    const future = g.node('Greater', [g.unsqueeze(kPos, [0]), g.unsqueeze(qPos, [1])]);
    causalMask = g.mul(g.cast(future, 'float32'), minF);
  }

  // ---- cross-attention keys/values: computed on the first step, carried in the cache after ----
  let crossKV: string[] = [];
  let crossMask = '';
  if (!melody) {
    const thenG = g.subgraph('cross_cached');
    const elseG = g.subgraph('cross_first');
    const encProj = projectText(elseG);
    for (let i = 0; i < c.numLayers; i++) {
      const n = cacheNames(i);
      const kW = g.weight(`cross_k_${i}`, 'float32', [d.hidden, d.hidden], w.linearT(`${D}.layers.${i}.encoder_attn.k_proj.weight`, d.hidden, d.hidden));
      const vW = g.weight(`cross_v_${i}`, 'float32', [d.hidden, d.hidden], w.linearT(`${D}.layers.${i}.encoder_attn.v_proj.weight`, d.hidden, d.hidden));
      const encDims = ['batch_size', d.heads, 'encoder_sequence_length_out', d.headDim];
      thenG.output(past[i].encKey, `${n.presentEncKey}_cached`, 'float32', encDims);
      thenG.output(past[i].encValue, `${n.presentEncValue}_cached`, 'float32', encDims);
      elseG.output(splitHeads(elseG, elseG.matMul(encProj, kW), d), `${n.presentEncKey}_first`, 'float32', encDims);
      elseG.output(splitHeads(elseG, elseG.matMul(encProj, vW), d), `${n.presentEncValue}_first`, 'float32', encDims);
    }
    crossKV = g.nodeN('If', [useCacheScalar], { then_branch: attr.graph(thenG), else_branch: attr.graph(elseG) }, 2 * c.numLayers);
    // A fully masked row (the null CFG half) gets a uniform softmax over zero values: output 0.
    const maskF = g.cast(encMask, 'float32');
    crossMask = g.unsqueeze(g.mul(g.sub(g.scalarF32(1), maskF), g.scalarF32(FLOAT32_MIN)), [1, 2]);
  }

  const ln = (name: string): [string, string] => [
    g.weight(`${name}_w`, 'float32', [d.hidden], w.get(`${name}.weight`, [d.hidden])),
    g.weight(`${name}_b`, 'float32', [d.hidden], w.get(`${name}.bias`, [d.hidden])),
  ];
  const proj = (name: string): string => g.weight(name.replace(/\W/g, '_'), 'float32', [d.hidden, d.hidden], w.linearT(`${name}.weight`, d.hidden, d.hidden));
  const eps = c.layerNormEps;
  const presents: Array<[string, string]> = [];

  for (let i = 0; i < c.numLayers; i++) {
    const L = `${D}.layers.${i}`;
    // self-attention (pre-LN); merged: cache = concat(past, new), kvbuffer: past and new apart
    let [lw, lb] = ln(`${L}.self_attn_layer_norm`);
    let n = g.layerNorm(hidden, lw, lb, eps);
    const q = splitHeads(g, g.mul(g.matMul(n, proj(`${L}.self_attn.q_proj`)), g.scalarF32(scaling)), d);
    const kNew = splitHeads(g, g.matMul(n, proj(`${L}.self_attn.k_proj`)), d);
    const vNew = splitHeads(g, g.matMul(n, proj(`${L}.self_attn.v_proj`)), d);
    let ctx: string;
    if (buffered) {
      presents.push([kNew, vNew]);
      ctx = attendBuffered(g, q, past[i], kNew, vNew, pastMask, causalMask);
    } else {
      const k = g.concat([past[i].key, kNew], 2);
      const v = g.concat([past[i].value, vNew], 2);
      presents.push([k, v]);
      ctx = attend(g, q, k, v, causalMask);
    }
    hidden = g.add(hidden, g.matMul(mergeHeads(g, ctx, d), proj(`${L}.self_attn.out_proj`)));

    if (!melody) {
      [lw, lb] = ln(`${L}.encoder_attn_layer_norm`);
      n = g.layerNorm(hidden, lw, lb, eps);
      const cq = splitHeads(g, g.mul(g.matMul(n, proj(`${L}.encoder_attn.q_proj`)), g.scalarF32(scaling)), d);
      const ctx = attend(g, cq, crossKV[2 * i], crossKV[2 * i + 1], crossMask);
      hidden = g.add(hidden, g.matMul(mergeHeads(g, ctx, d), proj(`${L}.encoder_attn.out_proj`)));
    }

    [lw, lb] = ln(`${L}.final_layer_norm`);
    n = g.layerNorm(hidden, lw, lb, eps);
    const fc1 = g.weight(`fc1_${i}`, 'float32', [d.hidden, c.ffnDim], w.linearT(`${L}.fc1.weight`, c.ffnDim, d.hidden));
    const fc2 = g.weight(`fc2_${i}`, 'float32', [c.ffnDim, d.hidden], w.linearT(`${L}.fc2.weight`, d.hidden, c.ffnDim));
    hidden = g.add(hidden, g.matMul(g.gelu(g.matMul(n, fc1)), fc2));
    onLayer?.(i + 1, c.numLayers, g);
  }
  const [fw, fb] = ln(`${D}.layer_norm`);
  hidden = g.layerNorm(hidden, fw, fb, eps);

  // Melody: logits only for the token positions (the prefix has no targets).
  if (melody) {
    hidden = g.slice(hidden, g.neg(tokenCount), g.constI64([Number.MAX_SAFE_INTEGER]), [1]);
  }

  // ---- LM heads: one bias-free Linear per codebook, fused into one MatMul [hidden, K*V] ----
  const heads = new Float32Array(d.hidden * K * V);
  for (let k = 0; k < K; k++) {
    const wk = w.get(`decoder.lm_heads.${k}.weight`, [V, d.hidden]);
    for (let v = 0; v < V; v++) {
      for (let h = 0; h < d.hidden; h++) heads[h * K * V + k * V + v] = wk[v * d.hidden + h];
    }
  }
  const headsW = g.weight('lm_heads', 'float32', [d.hidden, K * V], heads);
  const flat = g.matMul(hidden, headsW); // [B, S, K*V]
  const perCodebook = g.transpose(g.reshape(flat, [0, 0, K, V]), [0, 2, 1, 3]); // [B, K, S, V]
  const logitsShape = g.concat([g.constI64([-1]), g.shape(perCodebook, 2, 3), g.constI64([V])], 0);
  g.output(g.reshape(perCodebook, logitsShape), 'logits', 'float32', ['batch_size_x_codebooks', 'decoder_sequence_length', V]);

  // kvbuffer: cross-attention K/V leave the graph on the first step only (cached steps return
  // [B, H, 0, hd]); the caller keeps the first ones, so no step copies them out again.
  let crossOut = (x: string): string => x;
  if (buffered && !melody) {
    const keep = g.mul(g.shape(crossKV[0], 2, 3), g.sub(g.constI64([1]), g.cast(useCache, 'int64')));
    crossOut = (x) => g.slice(x, g.constI64([0]), keep, [2]);
  }
  for (let i = 0; i < c.numLayers; i++) {
    const n = cacheNames(i);
    const cacheDims = ['batch_size', d.heads, buffered ? 'decoder_sequence_length' : 'present_sequence_length', d.headDim];
    g.output(presents[i][0], n.presentKey, 'float32', cacheDims);
    g.output(presents[i][1], n.presentValue, 'float32', cacheDims);
    if (!melody) {
      const encDims = ['batch_size', d.heads, buffered ? 'encoder_sequence_length_present' : 'encoder_sequence_length_out', d.headDim];
      g.output(crossOut(crossKV[2 * i]), n.presentEncKey, 'float32', encDims);
      g.output(crossOut(crossKV[2 * i + 1]), n.presentEncValue, 'float32', encDims);
    }
  }
  return g;
}
