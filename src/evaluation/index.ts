// Public API of the evaluation stage (docs/EVALUATION.md): datasets, the EnCodec token cache,
// teacher-forced cross-entropy and perplexity, results and reports.
export { EvaluationInputError, DatasetError, TokenCacheError } from './errors.js';
export {
  readDataset,
  readManifest,
  readMusicMetadata,
  segmentsOf,
  segmentId,
  descriptionOf,
  DATASET_AUDIO_EXTENSIONS,
  DEFAULT_SEGMENT_SECONDS,
  DEFAULT_MIN_SEGMENT_SECONDS,
  type DatasetItem,
  type MusicMetadata,
  type Segment,
} from './dataset.js';
export { encodeNpyInt16, decodeNpy, type NpyArray } from './npy.js';
export { listCachedSegments, readSegment, writeSegment, isSegmentCached, codesPath, infoPath, type CachedSegment, type SegmentInfo } from './tokenCache.js';
export { CodecEncoder } from './codecEncoder.js';
export { encodeDataset, type EncodeDatasetOptions, type EncodeDatasetResult, type EncodeProgress } from './encodeDataset.js';
export { teacherForcedSequence, teacherForcedSteps, codebookLoss, type TeacherForcingShape, type CodebookLoss } from './teacherForcing.js';
export { CrossEntropyScorer, type ScoreItem, type ItemCrossEntropy, type ScorerLoadOptions } from './crossEntropyScorer.js';
export { summarizeEvaluation, flatEvaluationRow, flatSummaryRow, type EvaluationRow, type ModelSummary, type IntervalSummary } from './evaluationResults.js';
export { perplexityFigure, codebookPerplexityFigure, perplexityVsSizeFigure } from './evaluationFigures.js';
export { writeEvaluationReport } from './evaluationReport.js';
export { evaluateModels, evaluationJson, writeEvaluationOutputs, modelLabels, type EvaluateOptions, type EvaluateResult, type EvaluateProgress } from './evaluateRun.js';
