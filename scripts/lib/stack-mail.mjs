/**
 * The stack's mail: a local catcher (mail-catcher.mjs, loopback only: its inbox shows everyone's mail)
 * and the environment that points PocketBase at it, unless BANDMESH_SMTP_HOST names a real SMTP server,
 * which PocketBase then reads from the environment itself.
 */
import { start } from './mail-catcher.mjs';

/**
 * @param {{ enabled: boolean, appUrl: string, inboxPort: number }} options
 * @returns {Promise<{ catcher: import('./mail-catcher.mjs').MailCatcher | null, env: Record<string, string> }>}
 */
export async function startMailFor({ enabled, appUrl, inboxPort }) {
  /** @type {Record<string, string>} */
  const env = { BANDMESH_APP_URL: process.env.BANDMESH_APP_URL ?? appUrl };
  if (!enabled || process.env.BANDMESH_SMTP_HOST) return { catcher: null, env };
  const catcher = await start({ host: '127.0.0.1', smtpPort: 0, httpPort: inboxPort }).catch((error) => {
    throw new Error(
      `The local mail inbox cannot listen on 127.0.0.1:${inboxPort} (${error.code ?? error.message}): ` +
        'set BANDMESH_MAIL_INBOX_PORT to a free port, or BANDMESH_SMTP_HOST to use a real SMTP server.',
    );
  });
  env.BANDMESH_SMTP_HOST = '127.0.0.1';
  env.BANDMESH_SMTP_PORT = String(catcher.smtpPort);
  env.BANDMESH_MAIL_FROM = process.env.BANDMESH_MAIL_FROM ?? 'bandmesh@bandmesh.localhost';
  return { catcher, env };
}
