import { readFileSync } from 'node:fs';
import { Tokenizer } from '@huggingface/tokenizers';
import { GenerationInputError } from './errors.js';

/** Token ids and mask of a right-padded batch (T5 pads with id 0). */
export interface TokenizedBatch {
  inputIds: number[][];
  attentionMask: number[][];
}

/** The T5 encoder graph's relative-position table covers this many tokens. */
export const MAX_TEXT_TOKENS = 512;

/**
 * The model folder's T5 tokenizer. Descriptions are encoded as HF's MusicgenProcessor does
 * (EOS appended, right padding); an empty description gets an all-zero mask, as AudioCraft's
 * T5Conditioner gives empty descriptions the null condition.
 */
export class TextTokenizer {
  private constructor(private readonly tokenizer: Tokenizer) {}

  static load(jsonPath: string, configPath: string): TextTokenizer {
    const json = JSON.parse(readFileSync(jsonPath, 'utf8')) as object;
    const config = JSON.parse(readFileSync(configPath, 'utf8')) as object;
    return new TextTokenizer(new Tokenizer(json, config));
  }

  encodeBatch(descriptions: readonly string[]): TokenizedBatch {
    const rows = descriptions.map((d, i) => {
      if (typeof d !== 'string') throw new GenerationInputError(`description ${i} is not a string`);
      const ids = this.tokenizer.encode(d).ids;
      if (ids.length > MAX_TEXT_TOKENS) {
        throw new GenerationInputError(`description ${i} has ${ids.length} tokens; the text encoder takes at most ${MAX_TEXT_TOKENS}`);
      }
      return { ids, empty: d.trim() === '' };
    });
    const width = Math.max(1, ...rows.map((r) => r.ids.length));
    return {
      inputIds: rows.map((r) => [...r.ids, ...new Array<number>(width - r.ids.length).fill(0)]),
      attentionMask: rows.map((r) => Array.from({ length: width }, (_, t) => (!r.empty && t < r.ids.length ? 1 : 0))),
    };
  }
}
