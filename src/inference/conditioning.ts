/**
 * Text conditioning of B items (AudioCraft's _prepare_tokens_and_attributes, the text half): the
 * request's text as T5 token ids, the encoder's states, and the null condition AudioCraft gives
 * items without text (zero states, mask 0) and CFG's unconditional rows. Melody models add one-hot
 * C chroma to both, HF's default melody (melodyConditioning.ts owns real melodies).
 */

import type { DecoderConditioning } from './decoderState.js';
import { GenerationInputError } from './errors.js';
import type { RequestText } from './generationRequest.js';
import { oneHotC } from './melodyConditioning.js';
import type { MusicgenModelConfig } from '../model/modelConfig.js';
import { MissingModelFileError } from '../model/errors.js';
import type { TextEncoderSession } from './textEncoderSession.js';
import type { TextTokenizer, TokenizedBatch } from './textTokenizer.js';

/** Conditioning of B items: text states (or none), and chroma for melody models. */
export interface Condition {
  conditioning: DecoderConditioning;
  /** True when nothing conditions the items (no text, no melody): CFG would change nothing. */
  empty: boolean;
  /** Time spent opening the text encoder for this condition (released text encoder). */
  openMs?: number;
}

/** What turns text into a condition: the folder's tokenizer (if any), the encoder, the config. */
export interface TextConditioner {
  dir: string;
  config: MusicgenModelConfig;
  tokenizer: TextTokenizer | null;
  textEncoder: TextEncoderSession;
}

/** Null conditioning for B items: one zero text state with mask 0; melody: one-hot C chroma. */
export function nullCondition(config: MusicgenModelConfig, batch: number): Condition {
  const conditioning: DecoderConditioning = {
    rows: batch,
    encoderHiddenStates: new Float32Array(batch * config.textEncoder.dModel),
    encoderLength: 1,
    encoderMask: new Array<number>(batch).fill(0),
  };
  if (config.melody) conditioning.chroma = oneHotC(batch, 1, config.melody.numChroma);
  return { conditioning, empty: true };
}

/** The null (CFG) rows of a condition: zero text, mask 0, one-hot C chroma of the same length. */
export function nullRowsOf(config: MusicgenModelConfig, c: DecoderConditioning): DecoderConditioning {
  const out: DecoderConditioning = {
    rows: c.rows,
    encoderHiddenStates: new Float32Array(c.encoderHiddenStates.length),
    encoderLength: c.encoderLength,
    encoderMask: new Array<number>(c.encoderMask.length).fill(0),
  };
  if (c.chroma && config.melody) out.chroma = oneHotC(c.rows, c.chroma.frames, config.melody.numChroma);
  return out;
}

/**
 * The request's text as token ids: `rows` items, `tokens` null when no item has text. Descriptions
 * need the folder's tokenizer; token ids are checked against the text encoder's vocabulary.
 */
export function tokenizeText(model: TextConditioner, text: RequestText): { rows: number; tokens: TokenizedBatch | null } {
  if (typeof text === 'string') text = [text];
  if (!Array.isArray(text)) return { rows: (text as TokenizedBatch)?.inputIds?.length ?? 0, tokens: checkTokens(model, text as TokenizedBatch) };
  const items = text as ReadonlyArray<string | { inputIds: number[]; attentionMask: number[] } | null>;
  if (items.length === 0) throw new GenerationInputError('generate() needs at least one description (got an empty list)');
  if (items.every((t) => t === null)) return { rows: items.length, tokens: null };
  const needsTokenizer = items.some((t) => typeof t === 'string');
  if (needsTokenizer && !model.tokenizer) {
    throw new MissingModelFileError(
      `${model.dir} has no tokenizer.json / tokenizer_config.json; pass token ids ({inputIds, attentionMask}) or add the T5 tokenizer files`,
    );
  }
  if (items.every((t) => typeof t === 'string')) return { rows: items.length, tokens: checkTokens(model, model.tokenizer!.encodeBatch(items as string[])) };
  // Items mixing descriptions, token ids and none: each row on its own, padded to the widest.
  const tok = needsTokenizer ? model.tokenizer!.encodeBatch(items.map((t) => (typeof t === 'string' ? t : ''))) : null;
  const rows = items.map((t, i) => {
    if (t === null) return { ids: [0], mask: [0] };
    if (typeof t === 'string') return { ids: tok!.inputIds[i], mask: tok!.attentionMask[i] };
    return { ids: t.inputIds, mask: t.attentionMask };
  });
  const width = Math.max(...rows.map((r) => r.ids.length));
  const pad = (a: number[]): number[] => [...a, ...new Array<number>(width - a.length).fill(0)];
  return { rows: items.length, tokens: checkTokens(model, { inputIds: rows.map((r) => pad(r.ids)), attentionMask: rows.map((r) => pad(r.mask)) }) };
}

function checkTokens(model: TextConditioner, t: TokenizedBatch): TokenizedBatch {
  if (!t || !Array.isArray(t.inputIds) || !Array.isArray(t.attentionMask) || t.inputIds.length === 0) {
    throw new GenerationInputError('generate() needs a non-empty list of descriptions or {inputIds, attentionMask}');
  }
  const width = t.inputIds[0].length;
  t.inputIds.forEach((row, i) => {
    if (row.length !== width || t.attentionMask[i]?.length !== width) {
      throw new GenerationInputError(`inputIds/attentionMask row ${i} must have the same length as row 0 (${width})`);
    }
  });
  if (t.attentionMask.length !== t.inputIds.length) throw new GenerationInputError('inputIds and attentionMask must have the same number of rows');
  const vocab = model.config.textEncoder.vocabSize;
  const bad = t.inputIds.flat().find((v) => !Number.isInteger(v) || v < 0 || v >= vocab);
  if (bad !== undefined) throw new GenerationInputError(`token id ${bad} is outside the text encoder's vocabulary [0, ${vocab})`);
  return t;
}

/** The condition of B items: their text states, or the null condition when no token is unmasked. */
export async function encodeText(model: TextConditioner, rows: number, tokens: TokenizedBatch | null): Promise<Condition> {
  if (tokens === null) return nullCondition(model.config, rows);
  const mask = tokens.attentionMask.flat();
  if (mask.every((m) => m === 0)) return nullCondition(model.config, rows);
  const { hiddenStates, openMs } = await model.textEncoder.encode(tokens);
  const conditioning: DecoderConditioning = {
    rows,
    encoderHiddenStates: hiddenStates,
    encoderLength: tokens.inputIds[0].length,
    encoderMask: mask,
  };
  // Text-only generation on a melody model: HF's default chroma is one frame one-hot at C.
  if (model.config.melody) conditioning.chroma = oneHotC(rows, 1, model.config.melody.numChroma);
  return { conditioning, empty: false, openMs };
}
