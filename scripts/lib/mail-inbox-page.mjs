/**
 * The mail catcher's HTML: a list of messages and one message. Everything a sender wrote is escaped; a
 * message's HTML is shown only inside an iframe with an empty `sandbox` (no scripts, no forms, its own
 * opaque origin) under the page's CSP, so a hostile mail cannot act as the inbox. Colours are the app's
 * (src/app.css), so the inbox looks like part of Bandmesh.
 */

/** @param {unknown} value */
export const escapeHtml = (value) => String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const STYLE = `
  :root { --bg:#101219; --panel:#181b26; --panel-2:#202431; --text:#e8e9ee; --muted:#9aa0b4; --accent:#f2b84b; --radius:10px; }
  * { box-sizing: border-box; }
  body { margin: 0; background: var(--bg); color: var(--text); font: 16px/1.5 system-ui, sans-serif; }
  main { max-width: 52rem; margin: 0 auto; padding: 1.5rem 1rem; }
  h1 { font-size: 1.4rem; margin: 0 0 .25rem; }
  a { color: var(--accent); }
  .muted { color: var(--muted); }
  .panel { background: var(--panel); border-radius: var(--radius); padding: 1rem 1.25rem; margin: 1rem 0; }
  ul.list { list-style: none; padding: 0; margin: 0; }
  ul.list li { border-top: 1px solid var(--panel-2); padding: .6rem 0; }
  ul.list li:first-child { border-top: 0; }
  ul.list a { overflow-wrap: anywhere; word-break: break-all; }
  .subject { font-weight: 600; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: 0; }
  dt { color: var(--muted); }
  dd { margin: 0; overflow-wrap: anywhere; }
  pre { white-space: pre-wrap; overflow-wrap: anywhere; margin: 0; }
  iframe { width: 100%; height: 28rem; border: 0; border-radius: var(--radius); background: #fff; }
`;

/** @param {string} title @param {string} body */
const page = (title, body) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
  `<title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body><main>${body}</main></body></html>`;

/** @param {string} iso */
const when = (iso) => escapeHtml(iso.replace('T', ' ').slice(0, 19) + ' UTC');

/**
 * @param {{ id: string, from: string, to: string[], subject: string, date: string }[]} messages newest first
 */
export function inboxPage(messages) {
  const items = messages
    .map(
      (m) =>
        `<li><a class="subject" href="/m/${escapeHtml(m.id)}">${escapeHtml(m.subject || '(no subject)')}</a>` +
        `<div class="muted">to ${escapeHtml(m.to.join(', '))} · ${when(m.date)}</div></li>`,
    )
    .join('');
  return page(
    'Bandmesh local inbox',
    `<h1>Local inbox</h1><p class="muted">Mail this Bandmesh server sent. Nothing here leaves your machine; ` +
      `set BANDMESH_SMTP_HOST to send real mail instead. Reload to see new messages.</p>` +
      `<section class="panel">${items ? `<ul class="list">${items}</ul>` : '<p class="muted">No mail yet.</p>'}</section>`,
  );
}

/**
 * @param {{ from: string, to: string[], subject: string, date: string, text: string, html: string,
 *   links: string[] }} m
 */
export function messagePage(m) {
  const links = m.links
    .map((link) => `<li><a href="${escapeHtml(link)}" rel="noreferrer">${escapeHtml(link)}</a></li>`)
    .join('');
  return page(
    m.subject || '(no subject)',
    `<p><a href="/">← Inbox</a></p><h1>${escapeHtml(m.subject || '(no subject)')}</h1>` +
      `<section class="panel"><dl><dt>From</dt><dd>${escapeHtml(m.from)}</dd><dt>To</dt><dd>${escapeHtml(m.to.join(', '))}</dd>` +
      `<dt>Received</dt><dd>${when(m.date)}</dd></dl></section>` +
      (links ? `<section class="panel"><h2>Links</h2><ul class="list">${links}</ul></section>` : '') +
      (m.html
        ? `<section class="panel"><iframe sandbox="" title="The message as its sender laid it out" srcdoc="${escapeHtml(m.html)}"></iframe></section>`
        : '') +
      `<section class="panel"><h2>Text</h2><pre>${escapeHtml(m.text)}</pre></section>`,
  );
}
