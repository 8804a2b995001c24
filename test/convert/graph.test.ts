import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { OnnxGraph } from '../../src/convert/graph.js';
import { serializeModel, writeOnnxModel } from '../../src/convert/serialize.js';

function linearModel(): OnnxGraph {
  const g = new OnnxGraph('lin');
  const x = g.input('x', 'float32', ['batch', 3]);
  // y = x @ W + b with W = [[1,2],[3,4],[5,6]], b = [10, 20]; big enough to go external when forced.
  const w = g.weight('w', 'float32', [3, 2], Float32Array.from([1, 2, 3, 4, 5, 6]));
  const pad = g.weight('unused', 'float32', [512], new Float32Array(512));
  void pad;
  const b = g.constF32([10, 20], [2]);
  g.output(g.add(g.matMul(x, w), b), 'y', 'float32', ['batch', 2]);
  return g;
}

describe('ONNX graph builder', () => {
  it('serialises a graph that onnxruntime runs with the expected numbers', async () => {
    const { model } = serializeModel(linearModel(), 'lin.onnx', { metadata: { purpose: 'test' } });
    const session = await ort.InferenceSession.create(model);
    expect(session.inputNames).toEqual(['x']);
    expect(session.outputNames).toEqual(['y']);
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from([1, 0, 1, 0, 1, 0]), [2, 3]) });
    expect(Array.from(out.y.data as Float32Array)).toEqual([16, 28, 13, 24]);
  });

  it('writes weights as external data that onnxruntime loads from the side file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mg-graph-'));
    try {
      const path = join(dir, 'lin.onnx');
      writeOnnxModel(path, linearModel(), { forceExternalData: true });
      expect(readdirSync(dir).sort()).toEqual(['lin.onnx', 'lin.onnx_data']);
      const session = await ort.InferenceSession.create(path);
      const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from([0, 1, 0]), [1, 3]) });
      expect(Array.from(out.y.data as Float32Array)).toEqual([13, 24]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('If branches route outputs through Identity and may read outer-scope values', async () => {
    const g = new OnnxGraph('if');
    const x = g.input('x', 'float32', [2]);
    const flag = g.input('flag', 'bool', [1]);
    const thenG = g.subgraph('then');
    thenG.output(x, 'then_out', 'float32', [2]);
    const elseG = g.subgraph('else');
    elseG.output(elseG.mul(x, elseG.scalarF32(-1)), 'else_out', 'float32', [2]);
    const [y] = g.nodeN('If', [g.squeeze(flag, [0])], {
      then_branch: { kind: 'graph', value: thenG },
      else_branch: { kind: 'graph', value: elseG },
    });
    g.output(y, 'y', 'float32', [2]);
    const session = await ort.InferenceSession.create(serializeModel(g, 'if.onnx').model);
    const xs = new ort.Tensor('float32', Float32Array.from([1, 2]), [2]);
    const t = await session.run({ x: xs, flag: new ort.Tensor('bool', Uint8Array.from([1]), [1]) });
    expect(Array.from(t.y.data as Float32Array)).toEqual([1, 2]);
    const f = await session.run({ x: xs, flag: new ort.Tensor('bool', Uint8Array.from([0]), [1]) });
    expect(Array.from(f.y.data as Float32Array)).toEqual([-1, -2]);
  });
});
