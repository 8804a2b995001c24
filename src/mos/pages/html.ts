import { esc } from '../../web/escapeHtml.js';

export { esc };

/** A full page. Scripts and styles come from /static (the CSP forbids inline code). */
export function page(title: string, body: string, opts: { script?: boolean } = {}): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title><link rel="stylesheet" href="/static/style.css">
${opts.script ? '<script src="/static/rater.js" defer></script>' : ''}</head>
<body><main>${body}</main></body></html>`;
}

export function errorPage(status: number, message: string): string {
  return page(`Error ${status}`, `<h1>Something went wrong</h1><p class="error">${esc(message)}</p><p><a href="/session">Back to the test</a></p>`);
}
