import { attr, type Dim, type OnnxGraph } from '../graph.js';
import { ConversionError } from '../errors.js';

/** The padding modes HF's EncodecConv1d passes to torch.nn.functional.pad, as ONNX Pad modes. */
const PAD_MODES: Record<string, 'reflect' | 'constant' | 'edge'> = {
  reflect: 'reflect',
  constant: 'constant',
  replicate: 'edge',
};

export function onnxPadMode(padMode: string): 'reflect' | 'constant' | 'edge' {
  const mode = PAD_MODES[padMode];
  if (!mode) {
    throw new ConversionError(
      `audio_encoder.pad_mode "${padMode}" is not supported (expected one of ${Object.keys(PAD_MODES).join(', ')})`,
    );
  }
  return mode;
}

/**
 * Time padding of one EncodecConv1d, fixed at conversion except for the "extra" right padding of
 * strided convs, which depends on the input length.
 */
export interface ConvPadding {
  left: number;
  right: number;
  stride: number;
  mode: 'reflect' | 'constant' | 'edge';
}

/**
 * HF EncodecConv1d: padding_total = effective_kernel - stride; non-causal convs split it with the
 * extra sample on the left (odd strides), causal convs put it all on the left.
 */
export function conv1dPadding(effectiveKernel: number, stride: number, causal: boolean, padMode: string): ConvPadding {
  const total = effectiveKernel - stride;
  const right = causal ? 0 : Math.floor(total / 2);
  return { left: total - right, right, stride, mode: onnxPadMode(padMode) };
}

/** Largest right padding a conv can add: its fixed part plus at most stride - 1 extra samples. */
export function maxPad(p: ConvPadding): number {
  return Math.max(p.left, p.right + p.stride - 1);
}

/**
 * Declares a value computed inside an If branch as the branch output directly. OnnxGraph.output
 * adds an Identity, which is needed when the value is an outer-scope name or an initializer; here
 * it is always a node output of the branch itself, so the padded activation (the largest tensors
 * of the graph) needs no extra node.
 */
function branchOutput(branch: OnnxGraph, value: string, dims: Dim[]): void {
  branch.outputs.push({ name: value, type: 'float32', dims });
}

/**
 * Pads x [B, C, T] on the time axis exactly like HF EncodecConv1d.forward + _pad1d:
 * - extra right padding ceil(T / stride) * stride - T, so a strided conv sees a whole number of
 *   frames and its output has ceil(T / stride) steps (HF's _get_extra_padding_for_conv1d);
 * - reflect padding needs T > pad; for shorter inputs HF first appends zeros (max_pad - T + 1),
 *   reflects, then cuts those zeros off the end. That fallback is emitted as an If branch only
 *   when `minLength` says the input can be that short.
 */
export function padConv1dInput(g: OnnxGraph, x: string, channels: number, p: ConvPadding, minLength: number): string {
  const length = g.shape(x, 2, 3); // int64 [1]
  let right: string | number = p.right;
  if (p.stride > 1) {
    const s = g.constI64([p.stride]);
    const extra = g.node('Mod', [g.sub(s, g.node('Mod', [length, s])), s]);
    right = g.add(g.constI64([p.right]), extra);
  }
  if (p.left === 0 && right === 0) return x;
  const pads =
    typeof right === 'number'
      ? g.constI64([0, 0, p.left, 0, 0, right], [6], 'pads')
      : g.concat([g.constI64([0, 0, p.left, 0, 0]), right], 0);
  const plain = (graph: OnnxGraph): string => graph.node('Pad', [x, pads], { mode: attr.string(p.mode) });
  if (p.mode !== 'reflect' || minLength > maxPad(p)) return plain(g);

  // Small-input fallback, only reachable when T <= max(left, right).
  const rightT = typeof right === 'number' ? g.constI64([right]) : right;
  const biggest = g.node('Max', [g.constI64([p.left]), rightT]);
  const cond = g.squeeze(g.node('LessOrEqual', [length, biggest]), [0]);

  const elseG = g.subgraph('pad_reflect');
  const dims = ['batch_size', channels, g.fresh('padded_time')];
  branchOutput(elseG, plain(elseG), dims);

  const thenG = g.subgraph('pad_reflect_short');
  const zeros = thenG.sub(thenG.add(biggest, thenG.constI64([1])), length); // max_pad - T + 1
  const zeroPads = thenG.concat([thenG.constI64([0, 0, 0, 0, 0]), zeros], 0);
  const widened = thenG.node('Pad', [x, zeroPads], { mode: attr.string('constant') });
  const reflected = thenG.node('Pad', [widened, pads], { mode: attr.string('reflect') });
  const end = thenG.sub(thenG.shape(reflected, 2, 3), zeros);
  const cut = thenG.slice(reflected, thenG.constI64([0]), end, [2]);
  branchOutput(thenG, cut, dims);

  return g.node('If', [cond], { then_branch: attr.graph(thenG), else_branch: attr.graph(elseG) });
}
