import { esc } from './escapeHtml.js';

/**
 * The scaffold of both servers' pages (the MOS server's, the app's): doctype, charset and
 * viewport, the title, the server's own `head` (icon, stylesheet, script: all from /static, as
 * their CSP forbids inline code) and the body inside <main>.
 */
export function htmlPage(title: string, head: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>${head}</head>
<body><main>${body}</main></body></html>`;
}
