import { esc } from '../../web/escapeHtml.js';
import { htmlPage } from '../../web/htmlPage.js';

export { esc };

/** A full page. Script and style come from /static (the CSP forbids inline code). */
export function page(title: string, body: string, opts: { csrf?: string; script?: boolean } = {}): string {
  const head = `${opts.csrf ? `<meta name="csrf-token" content="${esc(opts.csrf)}">` : ''}<link rel="icon" href="/favicon.ico" sizes="32x32"><link rel="stylesheet" href="/static/app.css">
${opts.script ? '<script src="/static/app.js" defer></script>' : ''}`;
  return htmlPage(title, head, body);
}

export function errorPage(status: number, message: string): string {
  return page(`Error ${status}`, `<h1>Something went wrong</h1><p class="error">${esc(message)}</p><p><a href="/">Back to the app</a></p>`);
}

/** Bytes as megabytes for messages: 20, 0.1 (one decimal, trailing zero dropped). */
export function megabytes(bytes: number): string {
  return String(Math.round((bytes / 1048576) * 10) / 10);
}
