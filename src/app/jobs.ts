import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { BackendFactory, GenerationBackend, ProgressEvent } from './backend.js';
import { AppInputError, AppNotFoundError, AppQueueFullError, AppWorkerError, JobAbortedError } from './errors.js';
import type { ModelEntry } from './modelCatalog.js';
import { randomId } from './randomId.js';
import type { WorkerJob, WorkerResult } from './workerProtocol.js';

export type JobStatus = 'queued' | 'loading' | 'running' | 'done' | 'failed' | 'interrupted';

export interface PublicSample {
  url: string;
  downloadName: string;
  waveformUrl: string;
  spectrogramUrl: string;
  durationS: number;
  chromaMatchRate: number | null;
}

export interface PublicResult {
  samples: PublicSample[];
  melodyChromaUrl: string | null;
  params: Record<string, unknown>;
  paramsUrl: string;
  /** Of the audio (the spectrogram's frequency axis reaches half of it). */
  sampleRate: number;
  /** Milliseconds since the epoch after which the files are deleted. */
  expiresAt: number;
}

/** A finished job of a browser session, as its take list shows it. */
export interface Take {
  job: string;
  model: string;
  modelLabel: string;
  description: string;
  /** Milliseconds since the epoch. */
  finishedAt: number;
  result: PublicResult;
}

/**
 * What the page hears about a job (server-sent events, and GET /api/jobs/:id). `waitS` of a
 * queued job: the running job's ETA plus the jobs ahead at this model's measured speed (null until
 * a job of the model has run). `etaS` comes from the job's own recent step rate.
 */
export type JobEvent =
  | { type: 'queued'; position: number; waiting: number; limit: number; waitS: number | null }
  | { type: 'started' }
  | { type: 'loading' }
  | { type: 'progress'; done: number; total: number; elapsedS: number; etaS: number | null }
  | { type: 'decoding'; total: number }
  | { type: 'done'; result: PublicResult }
  | { type: 'failed'; message: string }
  | { type: 'interrupted'; message: string };

export type JobInput = Omit<WorkerJob, 'jobId' | 'outDir' | 'model'>;

interface Job {
  id: string;
  owner: string;
  model: ModelEntry;
  status: JobStatus;
  input: JobInput | null;
  outDir: string;
  controller: AbortController;
  last: JobEvent;
  listeners: Set<(e: JobEvent) => void>;
  startedAt: number | null;
  lastProgressSent: number;
  firstStepAt: number | null;
  /** Recent (time, steps done) pairs: the ETA follows the current speed, not the average since the start. */
  recentSteps: [number, number][];
  etaS: number | null;
  /** Requested seconds of audio (the queue's wait estimate scales with it). */
  durationS: number;
  description: string;
  expiresAt: number | null;
  finishedAt: number | null;
  result: PublicResult | null;
  files: Set<string>;
  /** Runs while no page follows the job; when it fires the job is interrupted. */
  orphanTimer: NodeJS.Timeout | null;
  /** Why the job was aborted, when not by its Interrupt button. */
  abortMessage: string | null;
}

interface ModelLane {
  backend: GenerationBackend;
  running: Job | null;
  waiting: Job[];
  /** The backend has run a job since it was last closed (so its model is in memory). */
  loaded: boolean;
  /** Wall seconds per second of requested audio, measured on the last finished job (first step to files written). */
  secondsPerAudioS: number | null;
  lastQueueNotice: number;
}

export interface JobManagerOptions {
  workDir: string;
  backendFactory: BackendFactory;
  /** Jobs waiting per model (the running one not counted). Default 4. */
  queueLimit?: number;
  /** Generated files are deleted this long after the job finished. Default one hour. */
  ttlMs?: number;
  /** How often expired jobs are swept. Default one minute. */
  sweepIntervalMs?: number;
  /** Finished jobs kept at most (the oldest go first). Default 200. */
  maxFinished?: number;
  /**
   * Models kept loaded at most: starting a job unloads idle models beyond this (oldest use
   * first), as the demo holds one model at a time. Running models are never unloaded. Default 1.
   */
  maxLoadedModels?: number;
  /**
   * A job no page has followed (no open event stream, no status request) for this long is
   * interrupted: closing the last tab must not leave the CPU busy. Default 15 s.
   */
  orphanGraceMs?: number;
  now?: () => number;
  log?: (line: string) => void;
}

const TERMINAL: ReadonlySet<JobStatus> = new Set(['done', 'failed', 'interrupted']);
/** Progress events to the page at most this often (the last step always goes out). */
const PROGRESS_EVERY_MS = 100;
/** Queue positions and wait estimates are refreshed at most this often while a job runs. */
const QUEUE_NOTICE_EVERY_MS = 1000;
/** The ETA's step rate is measured over about this much recent time. */
const RATE_WINDOW_MS = 3000;
export const DEFAULT_ORPHAN_GRACE_MS = 15_000;

/**
 * Jobs of every model: one generation at a time per model, a bounded queue for the rest,
 * progress fan-out to listeners, interruption, and expiry of finished jobs' files.
 */
export class JobManager {
  private readonly jobs = new Map<string, Job>();
  private readonly lanes = new Map<string, ModelLane>();
  private readonly queueLimit: number;
  private readonly ttlMs: number;
  private readonly maxFinished: number;
  private readonly orphanGraceMs: number;
  private readonly now: () => number;
  private readonly log: (line: string) => void;
  private readonly timer: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly o: JobManagerOptions) {
    this.queueLimit = o.queueLimit ?? 4;
    this.ttlMs = o.ttlMs ?? 60 * 60 * 1000;
    this.maxFinished = o.maxFinished ?? 200;
    this.orphanGraceMs = o.orphanGraceMs ?? DEFAULT_ORPHAN_GRACE_MS;
    this.now = o.now ?? Date.now;
    this.log = o.log ?? (() => undefined);
    mkdirSync(join(o.workDir, 'jobs'), { recursive: true });
    // unref: the sweep timer alone must not keep the process alive.
    this.timer = setInterval(() => this.sweep(), o.sweepIntervalMs ?? 60_000);
    this.timer.unref();
  }

  private lane(model: ModelEntry): ModelLane {
    let lane = this.lanes.get(model.id);
    if (!lane) {
      lane = { backend: this.o.backendFactory({ id: model.id, dir: model.dir }), running: null, waiting: [], loaded: false, secondsPerAudioS: null, lastQueueNotice: 0 };
      this.lanes.set(model.id, lane);
    }
    return lane;
  }

  /** Queues a job; throws AppQueueFullError when the model's queue is full. */
  submit(owner: string, model: ModelEntry, input: JobInput): { id: string; event: JobEvent } {
    if (this.closed) throw new AppWorkerError('the server is shutting down');
    const lane = this.lane(model);
    if (lane.running && lane.waiting.length >= this.queueLimit) {
      throw new AppQueueFullError(
        `the queue for ${model.label} is full (${lane.waiting.length} waiting besides the running one): try again when a generation finishes`,
      );
    }
    const id = randomId();
    const outDir = join(this.o.workDir, 'jobs', id);
    const job: Job = {
      id,
      owner,
      model,
      status: 'queued',
      input,
      outDir,
      controller: new AbortController(),
      last: { type: 'queued', position: 0, waiting: 0, limit: this.queueLimit, waitS: null },
      listeners: new Set(),
      startedAt: null,
      lastProgressSent: 0,
      firstStepAt: null,
      recentSteps: [],
      etaS: null,
      durationS: input.params.duration,
      description: input.description,
      expiresAt: null,
      finishedAt: null,
      result: null,
      files: new Set(),
      orphanTimer: null,
      abortMessage: null,
    };
    this.jobs.set(id, job);
    // The page subscribes right after submitting; until then (and whenever it leaves) the clock runs.
    this.watchOrphan(job);
    lane.waiting.push(job);
    this.announceQueue(lane);
    this.pump(lane);
    return { id, event: job.last };
  }

  private announceQueue(lane: ModelLane): void {
    lane.lastQueueNotice = this.now();
    const rate = lane.secondsPerAudioS;
    // Ahead of the first waiting job: what is left of the running one (its ETA, or a whole job at
    // the measured rate before its first step).
    let ahead: number | null = null;
    if (lane.running && rate !== null) ahead = lane.running.etaS ?? (lane.running.firstStepAt === null ? lane.running.durationS * rate : 0);
    else if (!lane.running) ahead = 0;
    lane.waiting.forEach((j, i) => {
      this.emit(j, { type: 'queued', position: i + 1, waiting: lane.waiting.length, limit: this.queueLimit, waitS: ahead });
      if (ahead !== null) ahead = rate === null ? null : ahead + j.durationS * rate;
    });
  }

  /** Starts (or restarts) the grace period of a job no page follows. */
  private watchOrphan(job: Job): void {
    if (job.orphanTimer) clearTimeout(job.orphanTimer);
    job.orphanTimer = null;
    if (TERMINAL.has(job.status) || job.listeners.size > 0 || this.closed) return;
    job.orphanTimer = setTimeout(() => {
      job.orphanTimer = null;
      if (TERMINAL.has(job.status) || job.listeners.size > 0) return;
      this.log(`job ${job.id} interrupted: no page has followed it for ${this.orphanGraceMs / 1000} s (its last tab was closed, or nothing asked for its status)`);
      job.abortMessage = 'Interrupted: no page was following the generation.';
      this.interrupt(job.id, job.owner);
    }, this.orphanGraceMs);
    // The grace timer alone must not keep the process alive.
    job.orphanTimer.unref();
  }

  private pump(lane: ModelLane): void {
    if (lane.running || this.closed) return;
    const job = lane.waiting.shift();
    if (!job) return;
    lane.running = job;
    this.announceQueue(lane);
    this.unloadIdle(lane);
    lane.loaded = true;
    const input = job.input!;
    job.input = null; // the uploads' audio is not needed after the hand-over
    job.status = 'running';
    job.startedAt = this.now();
    this.emit(job, { type: 'started' });
    mkdirSync(job.outDir, { recursive: true });
    const onProgress = (e: ProgressEvent): void => this.progress(job, e);
    lane.backend
      .run({ ...input, jobId: job.id, model: job.model.id, outDir: job.outDir }, onProgress, job.controller.signal)
      .then(
        (result) => this.finish(job, result),
        (err: unknown) => {
          if (err instanceof JobAbortedError || job.controller.signal.aborted) {
            this.end(job, 'interrupted', { type: 'interrupted', message: job.abortMessage ?? 'Interrupted: the generation was stopped.' });
          }
          else {
            const message = err instanceof AppWorkerError ? err.message : 'the generation failed; see the server log';
            if (!(err instanceof AppWorkerError)) this.log(`job ${job.id} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
            this.end(job, 'failed', { type: 'failed', message });
          }
        },
      )
      .finally(() => {
        lane.running = null;
        this.pump(lane);
      })
      // Nothing here may become an unhandled rejection (it would stop the server).
      .catch((err: unknown) => this.log(`job bookkeeping failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`));
  }

  /** Closes idle backends (their workers and models) so at most maxLoadedModels stay loaded. */
  private unloadIdle(starting: ModelLane): void {
    const limit = Math.max(1, this.o.maxLoadedModels ?? 1);
    // Map order is creation order; re-inserting on use makes it least-recently-used first.
    const id = [...this.lanes.entries()].find(([, l]) => l === starting)?.[0];
    if (id !== undefined) {
      this.lanes.delete(id);
      this.lanes.set(id, starting);
    }
    let loaded = [...this.lanes.values()].filter((l) => l.loaded || l === starting).length;
    for (const lane of this.lanes.values()) {
      if (loaded <= limit) break;
      if (lane === starting || !lane.loaded || lane.running || lane.waiting.length > 0) continue;
      lane.loaded = false;
      loaded--;
      void lane.backend.close().catch((err: unknown) => this.log(`closing an idle model failed: ${String(err)}`));
    }
  }

  private progress(job: Job, e: ProgressEvent): void {
    if (job.status === 'interrupted') return;
    if (e.kind === 'loading') {
      job.status = 'loading';
      this.emit(job, { type: 'loading' });
      return;
    }
    job.status = 'running';
    if (e.kind === 'decoding') {
      job.etaS = 0;
      const last = job.last;
      this.emit(job, { type: 'decoding', total: last.type === 'progress' ? last.total : 0 });
      return;
    }
    const t = this.now();
    job.firstStepAt ??= t;
    // ETA from this job's step rate over the last few seconds: when another job starts sharing
    // the cores (or stops), the estimate follows within RATE_WINDOW_MS.
    job.recentSteps.push([t, e.done]);
    while (job.recentSteps.length > 2 && t - job.recentSteps[1][0] >= RATE_WINDOW_MS) job.recentSteps.shift();
    if (e.done < e.total && t - job.lastProgressSent < PROGRESS_EVERY_MS) return;
    job.lastProgressSent = t;
    const elapsedS = (t - job.firstStepAt) / 1000;
    const [t0, done0] = job.recentSteps[0];
    const etaS = e.done > done0 && t > t0 ? ((e.total - e.done) * (t - t0)) / 1000 / (e.done - done0) : null;
    job.etaS = etaS;
    this.emit(job, { type: 'progress', done: e.done, total: e.total, elapsedS, etaS });
    const lane = this.lanes.get(job.model.id);
    if (lane && lane.waiting.length > 0 && t - lane.lastQueueNotice >= QUEUE_NOTICE_EVERY_MS) this.announceQueue(lane);
  }

  private finish(job: Job, r: WorkerResult): void {
    const base = `/files/${job.id}/`;
    for (const s of r.samples) [s.wav, s.waveform, s.spectrogram].forEach((f) => job.files.add(f));
    if (r.melodyChroma) job.files.add(r.melodyChroma);
    job.files.add(r.paramsFile);
    const expiresAt = this.now() + this.ttlMs;
    const lane = this.lanes.get(job.model.id);
    if (lane && job.firstStepAt !== null && job.durationS > 0) lane.secondsPerAudioS = (this.now() - job.firstStepAt) / 1000 / job.durationS;
    const seed = typeof r.params.seed === 'number' ? r.params.seed : 0;
    const result: PublicResult = {
      samples: r.samples.map((s, i) => ({
        url: base + s.wav,
        downloadName: `musicgen-${job.model.id}-seed${seed}-${i}.wav`,
        waveformUrl: base + s.waveform,
        spectrogramUrl: base + s.spectrogram,
        durationS: s.durationS,
        chromaMatchRate: s.chromaMatchRate,
      })),
      melodyChromaUrl: r.melodyChroma ? base + r.melodyChroma : null,
      params: r.params,
      paramsUrl: base + r.paramsFile,
      sampleRate: r.sampleRate,
      expiresAt,
    };
    job.result = result;
    this.end(job, 'done', { type: 'done', result });
  }

  private end(job: Job, status: JobStatus, event: JobEvent): void {
    job.status = status;
    if (job.orphanTimer) clearTimeout(job.orphanTimer);
    job.orphanTimer = null;
    job.etaS = null;
    job.finishedAt = this.now();
    job.expiresAt = job.finishedAt + this.ttlMs;
    this.emit(job, event);
    job.listeners.clear();
    if (status !== 'done') this.removeFiles(job);
    this.trim();
  }

  private emit(job: Job, event: JobEvent): void {
    job.last = event;
    for (const l of job.listeners) {
      try {
        l(event);
      } catch (err) {
        this.log(`job listener failed: ${String(err)}`);
      }
    }
  }

  private owned(id: string, owner: string): Job {
    const job = this.jobs.get(id);
    if (!job || job.owner !== owner) throw new AppNotFoundError('no such generation (it may have expired after an hour)');
    return job;
  }

  /** The job's latest event; `listener` (until the job ends) gets every later one. Returns an unsubscribe. */
  subscribe(id: string, owner: string, listener: (e: JobEvent) => void): { current: JobEvent; unsubscribe: () => void } {
    const job = this.owned(id, owner);
    if (!TERMINAL.has(job.status)) {
      job.listeners.add(listener);
      this.watchOrphan(job);
    }
    return {
      current: job.last,
      unsubscribe: () => {
        if (job.listeners.delete(listener)) this.watchOrphan(job);
      },
    };
  }

  /** The job's state; asking counts as following it (a script may poll instead of subscribing). */
  status(id: string, owner: string): { status: JobStatus; event: JobEvent } {
    const job = this.owned(id, owner);
    this.watchOrphan(job);
    return { status: job.status, event: job.last };
  }

  /** The session's finished jobs whose files are still kept, newest first. */
  takes(owner: string): Take[] {
    const out: Take[] = [];
    const t = this.now();
    for (const job of this.jobs.values()) {
      if (job.owner !== owner || job.status !== 'done' || !job.result || job.finishedAt === null) continue;
      if (job.expiresAt !== null && job.expiresAt <= t) continue; // its files go at the next sweep
      out.push({ job: job.id, model: job.model.id, modelLabel: job.model.label, description: job.description, finishedAt: job.finishedAt, result: job.result });
    }
    // Newest first; of two finished in the same millisecond, the one submitted later.
    return out.reverse().sort((a, b) => b.finishedAt - a.finishedAt);
  }

  /** Deletes a finished job and its files (the take list's Remove); a job still going must be interrupted first. */
  remove(id: string, owner: string): void {
    const job = this.owned(id, owner);
    if (!TERMINAL.has(job.status)) throw new AppInputError(null, 'this generation is still going: interrupt it first');
    this.removeFiles(job);
    this.jobs.delete(job.id);
  }

  /** Stops a running job (within one decoder step) or drops a queued one. */
  interrupt(id: string, owner: string): JobStatus {
    const job = this.owned(id, owner);
    if (TERMINAL.has(job.status)) return job.status;
    const lane = this.lanes.get(job.model.id);
    const i = lane ? lane.waiting.indexOf(job) : -1;
    if (i >= 0 && lane) {
      lane.waiting.splice(i, 1);
      job.input = null;
      this.end(job, 'interrupted', { type: 'interrupted', message: job.abortMessage ?? 'Interrupted: removed from the queue before it started.' });
      this.announceQueue(lane);
      return job.status;
    }
    job.controller.abort();
    return job.status;
  }

  /** Absolute path of a finished job's file, if `name` is one of its files and the owner matches. */
  filePath(id: string, owner: string, name: string): string {
    const job = this.owned(id, owner);
    if (job.status !== 'done' || !job.files.has(name)) throw new AppNotFoundError('no such file (results expire after an hour)');
    return join(job.outDir, name);
  }

  /** Deletes finished jobs whose time is up (called by the timer; public for tests). */
  sweep(): number {
    const t = this.now();
    let n = 0;
    for (const job of [...this.jobs.values()]) {
      if (job.expiresAt !== null && job.expiresAt <= t && TERMINAL.has(job.status)) {
        this.removeFiles(job);
        this.jobs.delete(job.id);
        n++;
      }
    }
    return n;
  }

  private trim(): void {
    const finished = [...this.jobs.values()].filter((j) => TERMINAL.has(j.status));
    for (const job of finished.slice(0, Math.max(0, finished.length - this.maxFinished))) {
      this.removeFiles(job);
      this.jobs.delete(job.id);
    }
  }

  private removeFiles(job: Job): void {
    job.files.clear();
    rmSync(job.outDir, { recursive: true, force: true });
  }

  /** Jobs that may wait per model besides the running one. */
  get limit(): number {
    return this.queueLimit;
  }

  /** Queue sizes per model id (the page shows them). */
  queueState(): Record<string, { running: boolean; waiting: number; limit: number }> {
    const out: Record<string, { running: boolean; waiting: number; limit: number }> = {};
    for (const [id, lane] of this.lanes) out[id] = { running: lane.running !== null, waiting: lane.waiting.length, limit: this.queueLimit };
    return out;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    for (const lane of this.lanes.values()) {
      for (const j of lane.waiting) this.end(j, 'interrupted', { type: 'interrupted', message: 'The server is shutting down.' });
      lane.waiting = [];
      lane.running?.controller.abort();
    }
    for (const job of this.jobs.values()) {
      if (job.orphanTimer) clearTimeout(job.orphanTimer);
      job.orphanTimer = null;
    }
    await Promise.all([...this.lanes.values()].map((l) => l.backend.close()));
  }
}
