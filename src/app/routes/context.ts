import type { JobManager } from '../jobs.js';
import type { ModelEntry } from '../modelCatalog.js';
import type { Sessions } from '../sessions.js';
import type { UploadStore } from '../uploads.js';

/** What every route module needs from the server. */
export interface AppContext {
  models: readonly ModelEntry[];
  jobs: JobManager;
  uploads: UploadStore;
  sessions: Sessions;
  maxUploadBytes: number;
}

/** Headers every response carries; also written by hand on hijacked (SSE) responses. */
export const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; media-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

export const NO_QUERY = { type: 'object', additionalProperties: false, properties: {} } as const;
