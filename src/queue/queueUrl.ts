import type { RedisOptions } from 'ioredis';
import { QueueUrlError } from './errors.js';

/** A parsed `redis://[user][:password@]host[:port][/db]` URL (`rediss://` for TLS). */
export interface QueueTarget {
  options: Pick<RedisOptions, 'host' | 'port' | 'username' | 'password' | 'db' | 'tls'>;
  /** The URL with the password replaced by `***`: the only form that is ever printed. */
  display: string;
}

/** The URL with any password masked, for messages about a URL that did not even parse. */
export function redactUrl(url: string): string {
  // Not even scheme://: whatever precedes an @ may be a password.
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return url.includes('@') ? `***${url.slice(url.lastIndexOf('@'))}` : url;
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^@/]*)@/i, (_, scheme: string, auth: string) => {
    const colon = auth.indexOf(':');
    return `${scheme}${colon < 0 ? '***' : `${auth.slice(0, colon)}:***`}@`;
  });
}

/** Parses the `--queue` URL; every error names the URL with its password masked. */
export function parseQueueUrl(url: string): QueueTarget {
  const shown = redactUrl(url);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new QueueUrlError(`--queue ${shown} is not a URL; use redis://[:password@]host:port[/db], e.g. redis://127.0.0.1:6379`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new QueueUrlError(`--queue ${shown} must start with redis:// (or rediss:// for TLS), e.g. redis://127.0.0.1:6379`);
  }
  if (u.hostname === '') throw new QueueUrlError(`--queue ${shown} names no host; use redis://host:port`);
  const port = u.port === '' ? 6379 : Number(u.port);
  const dbText = u.pathname.replace(/^\//, '');
  const db = dbText === '' ? 0 : Number(dbText);
  if (!Number.isInteger(db) || db < 0 || db > 15 || !/^\d*$/.test(dbText)) {
    throw new QueueUrlError(`--queue ${shown}: the path must be a database number 0-15 (got "/${dbText}")`);
  }
  if (u.search !== '' || u.hash !== '') throw new QueueUrlError(`--queue ${shown}: query strings and fragments are not read; remove them`);
  const password = u.password === '' ? undefined : decodeURIComponent(u.password);
  const username = u.username === '' ? undefined : decodeURIComponent(u.username);
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  const auth = password !== undefined ? `${username ?? ''}:***@` : username !== undefined ? `${username}@` : '';
  return {
    options: { host, port, db, username, password, tls: u.protocol === 'rediss:' ? {} : undefined },
    display: `${u.protocol}//${auth}${u.hostname}:${port}/${db}`,
  };
}
