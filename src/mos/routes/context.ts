import type { SessionCookieSettings } from '../../web/sessionCookie.js';
import type { AdminSessions } from '../auth.js';
import type { MosStore } from '../store.js';

/** What every route module needs from the server. */
export interface RouteContext {
  store: MosStore;
  admin: AdminSessions;
  cookies: SessionCookieSettings;
  /** A clip's end event is accepted after at least this share of its duration (server clock). */
  minListenRatio: number;
  /** Base of invitation links shown to the admin, e.g. http://127.0.0.1:8895 */
  publicUrl: string;
  now: () => number;
}
