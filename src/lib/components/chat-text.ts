/**
 * A chat body as text and link pieces. Only http(s) URLs become links (never javascript:, data: or
 * anything else a body could carry); the page renders every piece as text, so a body can never become HTML.
 */
export type ChatPiece = { kind: 'text'; text: string } | { kind: 'link'; text: string; href: string };

const URL_PATTERN = /\bhttps?:\/\/[^\s<>"']+/gi;
/** Punctuation that usually ends the sentence around a URL rather than the URL itself. */
const TRAILING = /[.,;:!?)\]]+$/;

export function chatPieces(body: string): ChatPiece[] {
  const pieces: ChatPiece[] = [];
  let last = 0;
  for (const match of body.matchAll(URL_PATTERN)) {
    const raw = match[0].replace(TRAILING, '');
    const start = match.index;
    let href: string | null = null;
    try {
      const url = new URL(raw);
      if (url.protocol === 'http:' || url.protocol === 'https:') href = url.href;
    } catch {
      // Not a URL after all (e.g. "http://"): it stays text.
    }
    if (!href || raw.length === 0) continue;
    if (start > last) pieces.push({ kind: 'text', text: body.slice(last, start) });
    pieces.push({ kind: 'link', text: raw, href });
    last = start + raw.length;
  }
  if (last < body.length) pieces.push({ kind: 'text', text: body.slice(last) });
  return pieces;
}
