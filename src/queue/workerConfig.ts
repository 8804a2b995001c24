import { MusicgenError } from '../errors.js';

/** Settings a worker hands its sandboxed processors (child processes) through the environment. */
export interface SandboxConfig {
  threads?: number;
  /** Folders whose model folders jobs may name. */
  allowModels: string[];
  /** The queue URL: the processor stores each job's codes and audio in Redis itself. */
  queue: string;
  redisTimeoutMs: number;
}

export const SANDBOX_CONFIG_ENV = 'MUSICGEN_SWEEP_WORKER';

export function readSandboxConfig(env: NodeJS.ProcessEnv = process.env): SandboxConfig {
  const text = env[SANDBOX_CONFIG_ENV];
  if (!text) throw new MusicgenError(`${SANDBOX_CONFIG_ENV} is not set: the batch processor runs only as a sandbox of musicgen worker`);
  return JSON.parse(text) as SandboxConfig;
}
