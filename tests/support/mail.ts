/**
 * Reading the mail catcher's JSON API in tests: wait for the next message to an address (polling until
 * it arrives or a deadline passes: PocketBase sends mail in the background) and take the token out of
 * its link to one of the app's auth pages.
 */
export interface CaughtMail {
  id: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
  links: string[];
}

/** Every message to `to`, newest first. */
export async function mailTo(apiUrl: string, to: string): Promise<CaughtMail[]> {
  const list = (await (await fetch(`${apiUrl}?to=${encodeURIComponent(to)}`)).json()) as { id: string }[];
  return Promise.all(
    list.map(async ({ id }) => (await (await fetch(`${apiUrl}/${id}`)).json()) as CaughtMail),
  );
}

/** Waits until `to` has more than `seen` messages and returns the newest. */
export async function nextMail(
  apiUrl: string,
  to: string,
  seen = 0,
  timeoutMs = 15_000,
): Promise<CaughtMail> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const list = await mailTo(apiUrl, to);
    if (list.length > seen) return list[0]!;
    if (Date.now() > deadline) throw new Error(`no new mail to ${to} within ${timeoutMs} ms (had ${seen})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The `token` of the mail's link to `<appUrl>/auth/<page>`; throws when there is no such link. */
export function tokenFrom(
  mail: CaughtMail,
  appUrl: string,
  page: 'verify' | 'reset' | 'email-change',
): string {
  const prefix = `${appUrl}/auth/${page}?token=`;
  const link = mail.links.find((l) => l.startsWith(prefix));
  if (!link) throw new Error(`no ${prefix}… link in "${mail.subject}": ${mail.links.join(' ')}`);
  return new URL(link).searchParams.get('token') ?? '';
}
