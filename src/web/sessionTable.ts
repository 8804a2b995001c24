/** A browser session: its id (the cookie value) and the CSRF token its pages embed. */
export interface SessionIds {
  id: string;
  csrf: string;
}

/**
 * Cookie sessions kept in memory (a restart ends them), each with its own CSRF token. Bounded:
 * creating one drops the expired ones, and every one once the table is full, so a flood of new
 * sessions cannot grow memory.
 */
export class SessionTable {
  private readonly sessions = new Map<string, { csrf: string; expires: number }>();
  private static readonly MAX = 1000;

  constructor(
    private readonly ttlMs: number,
    /** Unguessable id source, used for both the session id and its CSRF token. */
    private readonly newId: () => string,
  ) {}

  create(now: number): SessionIds {
    for (const [k, v] of this.sessions) if (v.expires < now || this.sessions.size >= SessionTable.MAX) this.sessions.delete(k);
    const s = { id: this.newId(), csrf: this.newId() };
    this.sessions.set(s.id, { csrf: s.csrf, expires: now + this.ttlMs });
    return s;
  }

  /** The live session with this id (any cookie value may come in), or null. */
  find(id: unknown, now: number): SessionIds | null {
    if (typeof id !== 'string') return null;
    const s = this.sessions.get(id);
    if (!s || s.expires < now) return null;
    return { id, csrf: s.csrf };
  }

  end(id: string): void {
    this.sessions.delete(id);
  }
}
