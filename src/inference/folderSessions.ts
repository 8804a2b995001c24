import type * as ort from 'onnxruntime-node';
import type { ModelFiles } from '../model/modelFiles.js';
import { checkDecoderGraph, checkEncodecEncodeGraph, createCheckedSession } from './sessions.js';
import { TextTokenizer } from './textTokenizer.js';

/**
 * The parts of a located model folder (src/model/modelFiles.ts), each opened and checked one way
 * for every caller: the generator (MusicGen.load), the evaluation's scorer and its codec encoder.
 * The text encoder and EnCodec's decoder have theirs in textEncoderSession.ts and
 * sessions.ts (loadEncodecDecode).
 */

/** The decoder, checked against config.json and the folder's layout (kvbuffer or merged). */
export function openDecoderSession(files: ModelFiles, threads?: number): Promise<ort.InferenceSession> {
  return createCheckedSession(files.decoder, (file, s) => checkDecoderGraph(file, s, files.config, files.decoderLayout), { threads });
}

/**
 * EnCodec's encoder (`encodec_encode`; audio -> codes), without onnxruntime's memory pattern:
 * each input length would plan a block of its own (see SessionOptions.memPattern).
 */
export function openEncodecEncodeSession(path: string, threads?: number): Promise<ort.InferenceSession> {
  return createCheckedSession(path, checkEncodecEncodeGraph, { threads, memPattern: false });
}

/** The T5 tokenizer of the folder, or null when it has none (unconditional use only). */
export function loadFolderTokenizer(files: ModelFiles): TextTokenizer | null {
  return files.tokenizer ? TextTokenizer.load(files.tokenizer.json, files.tokenizer.config) : null;
}
