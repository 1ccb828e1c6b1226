/**
 * A local mail catcher: a real SMTP server (smtp-server) that keeps what it receives in memory, parsed
 * (mailparser), and an HTTP server with an inbox page and a JSON API. `npm start` points PocketBase at it
 * so verification and password-reset mail works on a fresh clone without an outside mail account; the
 * integration and e2e tests read the same JSON API. Bounded: at most `maxMessages` (oldest dropped) of at
 * most `maxMessageBytes` each. See docs/adr/0012-mail-catcher.md.
 */
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';
import { inboxPage, messagePage } from './mail-inbox-page.mjs';

/**
 * @typedef {object} CaughtMessage
 * @property {string} id
 * @property {string} from
 * @property {string[]} to the envelope recipients (what the sender asked the server to deliver to)
 * @property {string} subject
 * @property {string} date ISO time the catcher received it
 * @property {number} size bytes
 * @property {string} text
 * @property {string} html
 * @property {string[]} links every http(s) URL in the text and the HTML, each once
 */

/**
 * @typedef {object} MailCatcher
 * @property {number} smtpPort
 * @property {number} httpPort
 * @property {string} inboxUrl the inbox page
 * @property {string} apiUrl the JSON list (`GET`), `/<id>` for one message
 * @property {() => Promise<void>} stop idempotent
 */

const LINK = /https?:\/\/[^\s"'<>()[\]]+/g;

/** @param {string} html */
const decodeEntities = (html) =>
  html
    .replace(/&amp;/g, '&')
    .replace(/&#x3D;|&#61;/g, '=')
    .replace(/&quot;/g, '"');

const HREF = /\shref\s*=\s*["']?(https?:\/\/[^\s"'<>]+)/gi;

/**
 * The http(s) URLs a reader can follow: in the text, and the HTML's `href`s (not its doctype's or
 * namespaces' URLs).
 * @param {string} text @param {string} html
 */
export function extractLinks(text, html) {
  const hrefs = [...decodeEntities(html).matchAll(HREF)].map((m) => m[1] ?? '');
  const found = [...(text.match(LINK) ?? []), ...hrefs];
  return [...new Set(found.map((link) => link.replace(/[.,;]+$/, '')))];
}

/** @param {CaughtMessage} m */
const summary = ({ id, from, to, subject, date, size }) => ({ id, from, to, subject, date, size });

/**
 * @param {{ host?: string, smtpPort?: number, httpPort?: number, maxMessages?: number,
 *   maxMessageBytes?: number }} [options] ports 0 (the default) pick free ones
 * @returns {Promise<MailCatcher>}
 */
export async function start({
  host = '127.0.0.1',
  smtpPort = 0,
  httpPort = 0,
  maxMessages = 200,
  maxMessageBytes = 1024 * 1024,
} = {}) {
  /** @type {CaughtMessage[]} newest last */
  const messages = [];

  const smtp = new SMTPServer({
    // A local catcher: no certificate to offer and nobody to authenticate. PocketBase (TLS off) sends
    // plain SMTP when STARTTLS is not advertised.
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    size: maxMessageBytes,
    logger: false,
    onData(stream, session, callback) {
      /** @type {Buffer[]} */
      const chunks = [];
      stream.on('data', (/** @type {Buffer} */ chunk) => chunks.push(chunk));
      stream.on('end', () => {
        if (stream.sizeExceeded) {
          const error = Object.assign(
            new Error(`Message too big: this catcher keeps at most ${maxMessageBytes} bytes`),
            {
              responseCode: 552,
            },
          );
          callback(error);
          return;
        }
        const raw = Buffer.concat(chunks);
        simpleParser(raw).then(
          (parsed) => {
            const text = parsed.text ?? '';
            const html = typeof parsed.html === 'string' ? parsed.html : '';
            messages.push({
              id: randomUUID(),
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              to: session.envelope.rcptTo.map((r) => r.address),
              subject: parsed.subject ?? '',
              date: new Date().toISOString(),
              size: raw.length,
              text,
              html,
              links: extractLinks(text, html),
            });
            while (messages.length > maxMessages) messages.shift();
            callback();
          },
          (/** @type {Error} */ error) => callback(Object.assign(error, { responseCode: 554 })),
        );
      });
    },
  });
  // A client that misbehaves ends its own session; the server goes on for everyone else.
  smtp.on('error', () => {});

  const http = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://catcher');
    const send = (/** @type {number} */ status, /** @type {string} */ type, /** @type {string} */ body) => {
      res.writeHead(status, {
        'content-type': type,
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        // Mail HTML is shown only in a sandboxed srcdoc iframe, which inherits this policy: no scripts,
        // no remote images (tracking pixels), no forms.
        'content-security-policy':
          "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-src 'self'",
        'referrer-policy': 'no-referrer',
      });
      res.end(body);
    };
    const json = (/** @type {number} */ status, /** @type {unknown} */ body) =>
      send(status, 'application/json; charset=utf-8', JSON.stringify(body));
    if (req.method !== 'GET') return json(405, { error: 'Only GET: this inbox is read-only.' });
    const to = url.searchParams.get('to')?.toLowerCase();
    const listed = messages
      .filter((m) => !to || m.to.some((address) => address.toLowerCase() === to))
      .reverse();
    if (url.pathname === '/api/messages') return json(200, listed.map(summary));
    const one = /^\/(api\/messages|m)\/([0-9a-f-]{36})$/.exec(url.pathname);
    if (one) {
      const message = messages.find((m) => m.id === one[2]);
      if (!message) return json(404, { error: 'No such message (the inbox keeps only the newest ones).' });
      return one[1] === 'm'
        ? send(200, 'text/html; charset=utf-8', messagePage(message))
        : json(200, message);
    }
    if (url.pathname === '/') return send(200, 'text/html; charset=utf-8', inboxPage(listed.map(summary)));
    return json(404, { error: 'Not found.' });
  });

  await new Promise((resolve, reject) => {
    smtp.server.once('error', reject);
    smtp.listen(smtpPort, host, () => resolve(undefined));
  });
  try {
    await new Promise((resolve, reject) => {
      http.once('error', reject);
      http.listen(httpPort, host, () => resolve(undefined));
    });
  } catch (error) {
    await new Promise((resolve) => smtp.close(() => resolve(undefined)));
    throw error;
  }
  const port = (/** @type {import('node:net').Server} */ server) =>
    /** @type {import('node:net').AddressInfo} */ (server.address()).port;
  const bound = { smtpPort: port(smtp.server), httpPort: port(http) };
  const base = `http://${host.includes(':') ? `[${host}]` : host}:${bound.httpPort}`;

  /** @type {Promise<void> | undefined} */
  let stopping;
  return {
    ...bound,
    inboxUrl: `${base}/`,
    apiUrl: `${base}/api/messages`,
    stop: () =>
      (stopping ??= Promise.all([
        new Promise((resolve) => smtp.close(() => resolve(undefined))),
        new Promise((resolve) => {
          http.close(() => resolve(undefined));
          http.closeAllConnections();
        }),
      ]).then(() => undefined)),
  };
}
