import { describe, expect, it } from 'vitest';
import { planDownload, shardFiles } from '../../src/hub/downloadPlan.js';
import { DtypeNotAvailableError, InvalidRepoIdError, NoMusicgenFilesError } from '../../src/hub/errors.js';
import type { RepoFileEntry } from '../../src/hub/hubClient.js';
import { parseRepoRef, revisionFolderName } from '../../src/hub/repoId.js';

const entry = (path: string): RepoFileEntry => ({ path, size: 1, sha256: null, blobId: null });
const paths = (files: RepoFileEntry[]): string[] => files.map((f) => f.path).sort();

/** The Xenova/musicgen-small layout: several precisions, extra graphs we do not use, external data. */
const XENOVA_LIKE = [
  '.gitattributes',
  'README.md',
  'config.json',
  'generation_config.json',
  'preprocessor_config.json',
  'special_tokens_map.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'onnx/text_encoder.onnx',
  'onnx/text_encoder_quantized.onnx',
  'onnx/decoder_model.onnx',
  'onnx/decoder_model_merged.onnx',
  'onnx/decoder_model_merged.onnx_data',
  'onnx/decoder_model_merged_quantized.onnx',
  'onnx/decoder_model_merged_fp16.onnx',
  'onnx/encodec_decode.onnx',
  'onnx/encodec_decode_quantized.onnx',
].map(entry);

const METADATA = [
  'config.json',
  'generation_config.json',
  'preprocessor_config.json',
  'special_tokens_map.json',
  'tokenizer.json',
  'tokenizer_config.json',
];

describe('planDownload', () => {
  it('fp32: the four graph stems plus external data, metadata, nothing else', () => {
    const plan = planDownload('r', XENOVA_LIKE, 'fp32');
    expect(plan.source).toBe('onnx');
    expect(paths(plan.files)).toEqual(
      [...METADATA, 'onnx/text_encoder.onnx', 'onnx/decoder_model_merged.onnx', 'onnx/decoder_model_merged.onnx_data', 'onnx/encodec_decode.onnx'].sort(),
    );
  });

  it('q8: the _quantized graphs where they exist; never the fp32 decoder or its data', () => {
    const plan = planDownload('r', XENOVA_LIKE, 'q8');
    expect(paths(plan.files)).toEqual(
      [...METADATA, 'onnx/text_encoder_quantized.onnx', 'onnx/decoder_model_merged_quantized.onnx', 'onnx/encodec_decode_quantized.onnx'].sort(),
    );
  });

  it('fp16: the text encoder and EnCodec fall back to fp32 as MusicGen.load does', () => {
    const plan = planDownload('r', XENOVA_LIKE, 'fp16');
    expect(paths(plan.files)).toContain('onnx/text_encoder.onnx');
    expect(paths(plan.files)).toContain('onnx/encodec_decode.onnx');
    expect(paths(plan.files)).toContain('onnx/decoder_model_merged_fp16.onnx');
  });

  it('a dtype without its merged decoder lists the dtypes present; an unknown dtype lists valid ones', () => {
    expect(() => planDownload('r@main', XENOVA_LIKE, 'q4')).toThrow(DtypeNotAvailableError);
    expect(() => planDownload('r@main', XENOVA_LIKE, 'q4')).toThrow(/decoder_model_merged_q4\.onnx.*fp16, fp32, q8/);
    expect(() => planDownload('r', XENOVA_LIKE, 'int3')).toThrow(/unknown dtype "int3".*fp32, fp16, q8/);
  });

  it('a folder with both decoder layouts: only our kvbuffer decoder is downloaded; q8 falls back per layout', () => {
    const both = [...XENOVA_LIKE, entry('onnx/decoder_model_kvbuffer.onnx'), entry('onnx/decoder_model_kvbuffer.onnx_data')];
    const fp32 = paths(planDownload('r', both, 'fp32').files);
    expect(fp32.filter((p) => p.startsWith('onnx/decoder'))).toEqual(['onnx/decoder_model_kvbuffer.onnx', 'onnx/decoder_model_kvbuffer.onnx_data']);
    // No kvbuffer q8 decoder there: the merged q8 one is taken, never an fp32 decoder.
    const q8 = paths(planDownload('r', both, 'q8').files);
    expect(q8.filter((p) => p.startsWith('onnx/decoder'))).toEqual(['onnx/decoder_model_merged_quantized.onnx']);
    const kvOnly = ['config.json', 'onnx/text_encoder.onnx', 'onnx/decoder_model_kvbuffer.onnx', 'onnx/encodec_decode.onnx'].map(entry);
    expect(planDownload('r', kvOnly, 'fp32').source).toBe('onnx');
    expect(() => planDownload('r', kvOnly, 'q8')).toThrow(/decoder_model_kvbuffer_quantized\.onnx or onnx\/decoder_model_merged_quantized\.onnx \(dtype q8\).*: fp32/);
  });

  it("EnCodec decode: our two halves (with their side files) when both are there, else transformers.js' one graph", () => {
    const halves = ['onnx/encodec_decode_frames.onnx', 'onnx/encodec_decode_frames.onnx_data', 'onnx/encodec_decode_upsample.onnx', 'onnx/encodec_decode_upsample.onnx_data'];
    const ours = [...XENOVA_LIKE, ...halves.map(entry)];
    const codec = (files: string[]): string[] => files.filter((p) => p.startsWith('onnx/encodec_decode'));
    expect(codec(paths(planDownload('r', ours, 'fp32').files))).toEqual(halves);
    // q8 has no quantised EnCodec: the fp32 halves.
    expect(codec(paths(planDownload('r', ours, 'q8').files))).toEqual(halves);
    const oneHalf = [...XENOVA_LIKE, entry('onnx/encodec_decode_frames.onnx')];
    expect(codec(paths(planDownload('r', oneHalf, 'fp32').files))).toEqual(['onnx/encodec_decode.onnx']);
    const neither = ['config.json', 'onnx/text_encoder.onnx', 'onnx/decoder_model_kvbuffer.onnx', 'onnx/encodec_decode_frames.onnx'].map(entry);
    expect(() => planDownload('r', neither, 'fp32')).toThrow(/encodec_decode_frames\.onnx \+ onnx\/encodec_decode_upsample\.onnx or onnx\/encodec_decode\.onnx/);
  });

  it('safetensors checkpoint: config, tokenizer files and the weights; converter dtypes only', () => {
    const repo = ['config.json', 'generation_config.json', 'model.safetensors', 'spiece.model', 'tokenizer.json', 'tokenizer_config.json', 'pytorch_model.bin'].map(entry);
    const plan = planDownload('facebook/musicgen-small', repo, 'q8');
    expect(plan.source).toBe('safetensors');
    expect(paths(plan.files)).toEqual(['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
    expect(() => planDownload('facebook/musicgen-small', repo, 'fp16')).toThrow(/converter makes fp32 or q8, not fp16/);
  });

  it('sharded checkpoint: the index first, then the shards its weight_map names', () => {
    const repo = ['config.json', 'model.safetensors.index.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', 'other.safetensors'].map(entry);
    const plan = planDownload('r', repo, 'fp32');
    expect(plan.source === 'safetensors' && plan.index?.path).toBe('model.safetensors.index.json');
    const index = { weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors', c: 'model-00001-of-00002.safetensors' } };
    expect(paths(shardFiles('r', index, repo))).toEqual(['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
    expect(() => shardFiles('r', { weight_map: { a: 'missing.safetensors' } }, repo)).toThrow(/names shard missing\.safetensors/);
    expect(() => shardFiles('r', {}, repo)).toThrow(NoMusicgenFilesError);
  });

  it('no config.json or no weights: NoMusicgenFilesError with the listing', () => {
    expect(() => planDownload('r', ['onnx/decoder_model_merged.onnx'].map(entry), 'fp32')).toThrow(NoMusicgenFilesError);
    expect(() => planDownload('r', ['config.json', 'README.md'].map(entry), 'fp32')).toThrow(/found: config\.json, README\.md/);
  });
});

describe('repo ids and revisions', () => {
  it('accepts owner/name and branch, tag, sha and refs/pr/N; maps refs to one folder', () => {
    expect(parseRepoRef('Xenova/musicgen-small')).toEqual({ owner: 'Xenova', name: 'musicgen-small', revision: 'main' });
    expect(parseRepoRef('facebook/musicgen-small', 'refs/pr/3').revision).toBe('refs/pr/3');
    expect(revisionFolderName('refs/pr/3')).toBe('refs--pr--3');
  });

  it('rejects ids and revisions that could escape the cache folder', () => {
    for (const bad of ['musicgen-small', 'a/b/c', '../x', 'a/..', 'a/.hidden', '']) {
      expect(() => parseRepoRef(bad), bad).toThrow(InvalidRepoIdError);
    }
    for (const bad of ['..', 'a/../b', '.downloads', 'a//b', 'x y']) {
      expect(() => parseRepoRef('a/b', bad), bad).toThrow(InvalidRepoIdError);
    }
  });
});
