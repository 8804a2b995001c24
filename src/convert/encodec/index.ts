/** EnCodec (32 kHz, as used by MusicGen) ONNX graph builders: codes <-> waveform. */
export { buildEncodecDecodeFramesGraph, buildEncodecDecodeGraph, buildEncodecDecodeUpsampleGraph } from './decodeGraph.js';
export { buildEncodecEncodeGraph } from './encodeGraph.js';
export { encodeQuantizerCount } from './quantizer.js';
