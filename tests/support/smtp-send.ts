/**
 * A minimal SMTP client over node:net for tests of the mail catcher: one dialogue, each reply awaited,
 * so a test sees exactly which step a server refused. Returns every reply line it got.
 */
import { connect } from 'node:net';

export interface SmtpSendOptions {
  port: number;
  host?: string;
  from: string;
  to: string[];
  /** The message (headers, blank line, body); lines are sent with CRLF and dot-stuffed. */
  data: string;
}

export async function smtpSend({
  port,
  host = '127.0.0.1',
  from,
  to,
  data,
}: SmtpSendOptions): Promise<string[]> {
  const socket = connect(port, host);
  socket.setEncoding('utf8');
  const replies: string[] = [];
  let buffer = '';
  let waiting: ((line: string) => void) | null = null;
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    let end: number;
    while ((end = buffer.indexOf('\r\n')) >= 0) {
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      // A multi-line reply ends with the line whose code is followed by a space.
      if (/^\d{3} /.test(line) || /^\d{3}$/.test(line)) {
        replies.push(line);
        const w = waiting;
        waiting = null;
        w?.(line);
      }
    }
  });
  const closed = new Promise<void>((resolve) =>
    socket.once('close', () => {
      // A server that hangs up answers whatever step was waiting.
      waiting?.('421 connection closed');
      resolve();
    }),
  );
  socket.on('error', () => undefined);
  const reply = () => new Promise<string>((resolve) => (waiting = resolve));
  const step = async (command: string | null) => {
    const next = reply();
    if (command !== null) socket.write(`${command}\r\n`);
    const line = await next;
    if (!/^[23]/.test(line))
      throw Object.assign(new Error(`SMTP refused ${command ?? 'greeting'}: ${line}`), { replies });
    return line;
  };
  try {
    await step(null);
    await step('EHLO test.local');
    await step(`MAIL FROM:<${from}>`);
    for (const address of to) await step(`RCPT TO:<${address}>`);
    await step('DATA');
    const body = data
      .replace(/\r?\n/g, '\r\n')
      .split('\r\n')
      .map((line) => (line.startsWith('.') ? `.${line}` : line))
      .join('\r\n');
    await step(`${body}\r\n.`);
    await step('QUIT');
  } finally {
    socket.end();
    await closed;
  }
  return replies;
}
