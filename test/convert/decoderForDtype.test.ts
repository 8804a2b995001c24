import { describe, expect, it } from 'vitest';
import { buildDecoderForDtype } from '../../src/convert/decoderForDtype.js';
import { buildDecoderGraph } from '../../src/convert/decoderGraph.js';
import type { OnnxGraph } from '../../src/convert/graph.js';
import { quantizeDecoderGraph } from '../../src/convert/quantize.js';
import { presetConfig } from '../../src/convert/presets.js';
import { RandomWeights } from '../../src/convert/randomWeights.js';
import { serializeModel } from '../../src/convert/serialize.js';
import { CheckedWeights } from '../../src/convert/weights.js';
import { parseModelConfig } from '../../src/model/modelConfig.js';

// Presets rather than the hf-reference fixtures: the fixtures' 32-wide layers are below the
// quantiser's size threshold, the tiny presets' 64-wide ones are above it.
function preset(name: string) {
  return { config: parseModelConfig(presetConfig(name, 7)), weights: new CheckedWeights(new RandomWeights(7)) };
}

/** Float32 2-D initializers that a plain MatMul reads: what q8 must not keep alive. */
function floatMatMulWeights(g: OnnxGraph): string[] {
  const floats = new Set(g.initializers.filter((t) => t.type === 'float32' && t.dims.length === 2 && t.data.length >= 4096).map((t) => t.name));
  const out: string[] = [];
  const visit = (graph: OnnxGraph): void => {
    for (const n of graph.nodes) {
      if (n.opType === 'MatMul' && floats.has(n.inputs[1])) out.push(n.inputs[1]);
      for (const a of Object.values(n.attrs)) if (a.kind === 'graph') visit(a.value);
    }
  };
  visit(g);
  return out;
}

/** Serialized bytes with initializers in name order (per-layer quantising adds them in another order). */
function canonicalBytes(g: OnnxGraph): Buffer {
  const sortInits = (graph: OnnxGraph): void => {
    graph.initializers.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const n of graph.nodes) for (const a of Object.values(n.attrs)) if (a.kind === 'graph') sortInits(a.value);
  };
  sortInits(g);
  return Buffer.from(serializeModel(g, 'd.onnx').model);
}

describe('decoder graph per dtype', () => {
  for (const name of ['tiny', 'stereo-tiny', 'melody-tiny']) {
    for (const layout of ['kvbuffer', 'merged'] as const) {
      it(`${name} ${layout}: q8 quantised layer by layer equals quantising the whole graph, with no float weights left behind`, () => {
        const { config, weights } = preset(name);
        expect(floatMatMulWeights(buildDecoderGraph(config, weights, undefined, layout)).length).toBeGreaterThan(config.decoder.numLayers);
        const leftAfterLayer: number[] = [];
        const byLayer = buildDecoderForDtype(config, weights, layout, 'q8', (_done, _total, partial) => {
          leftAfterLayer.push(floatMatMulWeights(partial).length);
        });
        expect(leftAfterLayer).toHaveLength(config.decoder.numLayers);
        // Each layer's float32 projections are gone as soon as it is built.
        expect(leftAfterLayer.every((n) => n === 0)).toBe(true);
        const whole = quantizeDecoderGraph(buildDecoderGraph(config, weights, undefined, layout));
        expect(canonicalBytes(byLayer).equals(canonicalBytes(whole))).toBe(true);
        expect(byLayer.nodes.some((n) => n.opType === 'DynamicQuantizeMatMul')).toBe(true);
      });
    }
  }

  it('fp32 leaves the graph as built', () => {
    const { config, weights } = preset('tiny');
    const g = buildDecoderForDtype(config, weights, 'kvbuffer', 'fp32');
    const plain = buildDecoderGraph(config, weights, undefined, 'kvbuffer');
    expect(Buffer.from(serializeModel(g, 'd.onnx').model).equals(Buffer.from(serializeModel(plain, 'd.onnx').model))).toBe(true);
    expect(floatMatMulWeights(g).length).toBeGreaterThan(0);
  });
});
