/**
 * How the decoder's self-attention cache crosses the graph boundary (docs/MODEL_FORMAT.md).
 * - `merged`: transformers.js / optimum `decoder_model_merged`; past K/V in, past + new K/V out,
 *   so every step concatenates the whole cache and the binding copies it out.
 * - `kvbuffer`: ours (`decoder_model_kvbuffer`); the caller owns a buffer of capacity C >= P,
 *   passes it with `past_sequence_length` = P, and gets back only the new positions' K/V to write
 *   in place. Nothing copies the cache (BENCHMARKS.md, issue 8).
 */
export type DecoderLayout = 'kvbuffer' | 'merged';

/** File stem (onnx/<stem>{S}.onnx) and graph name of each layout. */
export const DECODER_GRAPH_NAME: Record<DecoderLayout, string> = {
  kvbuffer: 'decoder_model_kvbuffer',
  merged: 'decoder_model_merged',
};

/** Input of the kvbuffer layout; its presence is how a session is recognised as that layout. */
export const PAST_LENGTH_INPUT = 'past_sequence_length';
