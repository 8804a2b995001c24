import { esc } from '../../web/escapeHtml.js';
import { htmlPage } from '../../web/htmlPage.js';

export { esc };

/** A full page. Scripts and styles come from /static (the CSP forbids inline code). */
export function page(title: string, body: string, opts: { script?: boolean } = {}): string {
  const head = `<link rel="icon" href="/static/favicon.svg" type="image/svg+xml"><link rel="stylesheet" href="/static/style.css">
${opts.script ? '<script src="/static/rater.js" defer></script>' : ''}`;
  return htmlPage(title, head, body);
}

/** An error page linking back to where the visitor came from: the admin pages or the rating session. */
export function errorPage(status: number, message: string, path = '/'): string {
  const back = path === '/admin' || path.startsWith('/admin/') ? '<a href="/admin">Back to the admin page</a>' : '<a href="/session">Back to the test</a>';
  return page(`Error ${status}`, `<h1>Something went wrong</h1><p class="error">${esc(message)}</p><p>${back}</p>`);
}
