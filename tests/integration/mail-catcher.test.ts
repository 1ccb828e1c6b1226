/**
 * The mail catcher `npm start` runs (scripts/lib/mail-catcher.mjs), spoken to over real SMTP: it keeps
 * what it receives, lists it newest first, extracts links, escapes everything on its pages, refuses
 * oversize messages, drops the oldest past its bound, and keeps serving after a bad client.
 */
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { start, type MailCatcher } from '../../scripts/lib/mail-catcher.mjs';
import { smtpSend } from '../support/smtp-send';

let catcher: MailCatcher | null = null;
afterEach(async () => {
  await catcher?.stop();
  catcher = null;
});

const message = (subject: string, body: string, type = 'text/plain') =>
  `From: Bandmesh <bandmesh@localhost>\nTo: ada@example.test\nSubject: ${subject}\nContent-Type: ${type}; charset=utf-8\n\n${body}\n`;

const send = (c: MailCatcher, subject: string, body: string, type?: string) =>
  smtpSend({
    port: c.smtpPort,
    from: 'bandmesh@localhost',
    to: ['ada@example.test'],
    data: message(subject, body, type),
  });

describe('mail catcher', () => {
  it('keeps a message sent over SMTP and serves it as JSON with its links', async () => {
    catcher = await start({});
    await send(
      catcher,
      'Verify your address',
      'Open http://127.0.0.1:8090/auth/verify?token=abc.def. Thanks',
    );
    const list = (await (await fetch(catcher.apiUrl)).json()) as {
      id: string;
      subject: string;
      to: string[];
    }[];
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ subject: 'Verify your address', to: ['ada@example.test'] });
    const one = await (await fetch(`${catcher.apiUrl}/${list[0]!.id}`)).json();
    expect(one.text).toContain('Thanks');
    expect(one.links).toEqual(['http://127.0.0.1:8090/auth/verify?token=abc.def']);
    const filtered = await (await fetch(`${catcher.apiUrl}?to=someone-else@example.test`)).json();
    expect(filtered).toEqual([]);
  });

  it('escapes subjects and text, and shows mail HTML only in a sandboxed frame', async () => {
    catcher = await start({});
    await send(
      catcher,
      '<script>alert(1)</script>',
      '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd"><p onclick="x()">hi <a href="https://x.test/?a=1&amp;b=2">go</a></p>',
      'text/html',
    );
    const inbox = await fetch(catcher.inboxUrl);
    expect(inbox.headers.get('content-security-policy')).toContain("default-src 'none'");
    const inboxHtml = await inbox.text();
    expect(inboxHtml).not.toContain('<script>alert(1)');
    expect(inboxHtml).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
    const [{ id }] = (await (await fetch(catcher.apiUrl)).json()) as [{ id: string }];
    const caught = await (await fetch(`${catcher.apiUrl}/${id}`)).json();
    // The followable links only, not the doctype's URL.
    expect(caught.links).toEqual(['https://x.test/?a=1&b=2']);
    const pageHtml = await (await fetch(new URL(`/m/${id}`, catcher.inboxUrl))).text();
    expect(pageHtml).toContain('<iframe sandbox=""');
    expect(pageHtml).not.toContain('<p onclick');
    expect(pageHtml).toContain('href="https://x.test/?a=1&#38;b=2"');
  });

  it('refuses a message over its size limit and keeps only the newest messages', async () => {
    catcher = await start({ maxMessages: 3, maxMessageBytes: 2000 });
    await expect(send(catcher, 'too big', 'x'.repeat(5000))).rejects.toThrow(/552/);
    for (let i = 1; i <= 5; i++) await send(catcher, `message ${i}`, 'hello');
    const list = (await (await fetch(catcher.apiUrl)).json()) as { subject: string }[];
    expect(list.map((m) => m.subject)).toEqual(['message 5', 'message 4', 'message 3']);
  });

  it('keeps serving after a client sends garbage and hangs up', async () => {
    catcher = await start({});
    const socket = connect(catcher.smtpPort, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write('\u0000\u0001 garbage\r\nMAIL FROM:<<<>>>\r\n');
    socket.destroy();
    await send(catcher, 'after the garbage', 'still here');
    const list = (await (await fetch(catcher.apiUrl)).json()) as { subject: string }[];
    expect(list.map((m) => m.subject)).toEqual(['after the garbage']);
    expect((await fetch(`${catcher.apiUrl}/00000000-0000-0000-0000-000000000000`)).status).toBe(404);
    expect((await fetch(catcher.apiUrl, { method: 'DELETE' })).status).toBe(405);
  });

  it('stops idempotently and frees its ports', async () => {
    const c = await start({});
    await Promise.all([c.stop(), c.stop()]);
    await expect(fetch(c.apiUrl)).rejects.toThrow();
  });
});
