import { esc } from '../../web/escapeHtml.js';

export { esc };

/** A full page. Script and style come from /static (the CSP forbids inline code). */
export function page(title: string, body: string, opts: { csrf?: string; script?: boolean } = {}): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
${opts.csrf ? `<meta name="csrf-token" content="${esc(opts.csrf)}">` : ''}
<title>${esc(title)}</title><link rel="icon" href="/favicon.ico" sizes="32x32"><link rel="stylesheet" href="/static/app.css">
${opts.script ? '<script src="/static/app.js" defer></script>' : ''}</head>
<body><main>${body}</main></body></html>`;
}

export function errorPage(status: number, message: string): string {
  return page(`Error ${status}`, `<h1>Something went wrong</h1><p class="error">${esc(message)}</p><p><a href="/">Back to the app</a></p>`);
}

/** Bytes as megabytes for messages: 20, 0.1 (one decimal, trailing zero dropped). */
export function megabytes(bytes: number): string {
  return String(Math.round((bytes / 1048576) * 10) / 10);
}
