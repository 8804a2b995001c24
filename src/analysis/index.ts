// Public API of the analysis layer: sweeps, per-sample metrics, DataFrames, plotly figures, reports.
export { SweepSpecError, SweepOutputError, MetricInputError, FigureDataError, FigureRenderError } from './errors.js';
export {
  parseSweepSpec,
  loadSweepSpec,
  expandSweep,
  sampleIdOf,
  type SweepSpec,
  type SweepModelSpec,
  type SweepPromptSpec,
  type ResolvedSweepSpec,
  type SweepModel,
  type SweepPrompt,
  type SweepSetting,
} from './sweepSpec.js';
export { kvCacheBytesPerItem, batchCapacity, splitIntoBatches, DEFAULT_MAX_BATCH, type BatchPlanOptions, type KvCacheEstimateOptions } from './batchPlanner.js';
export {
  runSweep,
  type SweepGenerator,
  type SweepProgress,
  type SweepRunOptions,
  type SweepBatchRecord,
  type SweepRunResult,
  type SweepBatchExecutor,
  type PlannedSweepBatch,
  type ExecutedSweepBatch,
  type SweepExecutionContext,
} from './sweepRunner.js';
export { readSampleSidecar, sampleWavPath, sampleSidecarPath, SAMPLES_DIR, type SampleSidecar } from './sampleFiles.js';
export { flattenRow, metricValue, measurementsOf, NUMERIC_METRICS, PER_BATCH_METRICS, METRIC_LABELS, type SweepResultRow, type FlatRow, type FlatCell, type NumericMetric } from './sweepResults.js';
export { toCsv } from './csv.js';
export { mosManifestOf, systemOf, type MosManifest } from './mosManifest.js';
export { decoderParameterCount } from './modelSize.js';
export { meanWithInterval, type MeanWithInterval } from '../stats/meanInterval.js';
export {
  resultsDataFrame,
  summarize,
  summaryRows,
  summaryDataFrame,
  type DataFrame,
  type GroupColumn,
  type SummaryOptions,
  type SummaryRecord,
} from './resultsFrame.js';
export { formatMeanInterval, formatSignificant, formatSummaryCell, summaryTableRows } from './summaryTable.js';

// metrics
export { codebookTokenStatistics, tokenStatistics, type CodebookTokenStatistics } from './metrics/tokenStatistics.js';
export { spectralShape, mixToMono, type SpectralShape, type SpectralShapeOptions } from './metrics/spectralShape.js';
export { PeakMemorySampler } from './metrics/peakMemory.js';
export {
  sampleMetrics,
  tokenMetrics,
  audioQualityMetrics,
  melodyChromaMatch,
  type AudioQualityMetrics,
  type TokenMetrics,
  type SampleMetricsInput,
} from './metrics/sampleMetrics.js';
export { gaussianStatistics, frechetDistance, frechetAudioDistance, type GaussianStatistics } from './metrics/frechetDistance.js';
export {
  cosineSimilarity,
  ClapScoreMetric,
  FrechetAudioDistanceMetric,
  type AudioEmbedder,
  type TextAudioEmbedder,
  type EmbeddingMetricSample,
  type SampleEmbeddingMetric,
  type SetEmbeddingMetric,
} from './metrics/embeddingMetrics.js';
export { groupEmbeddingMetric, type GroupMetricValue } from './metrics/groupEmbeddingMetric.js';
export { OnnxAudioEmbedder, type OnnxAudioEmbedderOptions } from './metrics/onnxAudioEmbedder.js';

// figures
export type { PlotlyFigure, PlotlyTrace, PlotlyValue } from './figures/plotlyFigure.js';
export { modelSizeFigure, cfgFigure, temperatureTopKHeatmap } from './figures/sweepFigures.js';
export { chromagramFigure, spectrogramFigure, waveformFigure, type SpectrogramFigureOptions } from './figures/signalFigures.js';
export { standaloneFigureHtml, figureDiv, notebookBundle, plotlyBundleSource, type NotebookMimeBundle } from './figures/figureHtml.js';
export { FigureRenderer, DEFAULT_CHROMIUM, CHROMIUM_ARGS, type FigureRendererOptions, type RenderOptions } from './figures/figureRenderer.js';
export { sweepReportFigures, writeSweepReport, type ReportFigure } from './sweepReport.js';
