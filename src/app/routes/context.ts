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

const SHARED_HEADERS = securityHeaders();

/**
 * Headers every response carries; also written by hand on hijacked (SSE) responses. The page
 * plays the melody the user picked from its own memory (a blob: URL), so media may come from blob:.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  ...SHARED_HEADERS,
  'content-security-policy': SHARED_HEADERS['content-security-policy'].replace("media-src 'self'", "media-src 'self' blob:"),
};

export const NO_QUERY = { type: 'object', additionalProperties: false, properties: {} } as const;
