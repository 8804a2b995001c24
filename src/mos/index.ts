// Public API of the listening-test server (re-exported by src/index.ts).
export { MosAuthError, MosError, MosInputError, MosNotFoundError, MosRuleError } from './errors.js';
export { MosStore } from './store.js';
export type { AssignmentView, ClipKind, ClipRow, NewTest, RaterRow as MosRater, RatingRecord, TestRow } from './store.js';
export { SCALES, SCALE_INFO, type Scale, type ScaleInfo } from './scales.js';
export { importAudiocraftFolders, importManifest, importSet, type ImportOptions, type ImportSummary } from './importSet.js';
export { readManifest, parseManifest } from './manifest.js';
export { readAudiocraftFolders, type SamplesFolder } from './audiocraftSamples.js';
export type { SetEntry, SetSpec } from './setSpec.js';
export { DEFAULT_TARGET_LUFS, PLAYBACK_SAMPLE_RATE, preparePlayback, type PlaybackFile, type PlaybackOptions } from './playback.js';
export { buildMosServer, type MosServerOptions } from './server.js';
export { ADMIN_SECRET_ENV, startMosServer, type RunningMosServer, type ServeOptions } from './serve.js';
export {
  buildReport,
  DEFAULT_SCREENING,
  itemTable,
  pairedComparisons,
  raterTable,
  systemTable,
  type ItemRow,
  type MeanCi,
  type PairedComparison,
  type RaterSummary,
  type ScreeningOptions,
  type SystemSummary,
  type TestReport,
} from './stats.js';
export { studentTCdf, studentTQuantile, normalCdf } from '../stats/distributions.js';
export { meanWithInterval, type MeanWithInterval } from '../stats/meanInterval.js';
export { wilcoxonSignedRank, type WilcoxonResult } from '../stats/wilcoxon.js';
export { exportJson, ratingsCsv } from './export.js';
