import { describe, expect, it } from 'vitest';
import { chatPieces } from './chat-text';

describe('chatPieces', () => {
  it('turns http(s) URLs into links and leaves the rest as text', () => {
    expect(chatPieces('chart: https://example.org/song.pdf, then go')).toEqual([
      { kind: 'text', text: 'chart: ' },
      { kind: 'link', text: 'https://example.org/song.pdf', href: 'https://example.org/song.pdf' },
      { kind: 'text', text: ', then go' },
    ]);
  });

  it('never makes links of other schemes, and keeps markup as plain text', () => {
    const body = 'javascript:alert(1) <a href="x">hi</a> data:text/html,<b>x</b>';
    expect(chatPieces(body)).toEqual([{ kind: 'text', text: body }]);
  });

  it('leaves a bare scheme as text', () => {
    expect(chatPieces('see http:// later')).toEqual([{ kind: 'text', text: 'see http:// later' }]);
  });
});
