import type { SessionCookieSettings } from '../../web/sessionCookie.js';
import type { AdminSessions } from '../auth.js';
import type { MosStore } from '../store.js';

/** What every route module needs from the server. */
export interface RouteContext {
  store: MosStore;
  admin: AdminSessions;
  cookies: SessionCookieSettings;
  /** A clip counts as heard when its played ranges cover this share of it and as much time passed on the server's clock. */
  minListenRatio: number;
  /** Base of invitation links shown to the admin, e.g. http://127.0.0.1:8895 */
  publicUrl: string;
  now: () => number;
}
