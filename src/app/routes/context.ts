import { securityHeaders } from '../../web/securityHeaders.js';
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
export const SECURITY_HEADERS = securityHeaders();

export const NO_QUERY = { type: 'object', additionalProperties: false, properties: {} } as const;
