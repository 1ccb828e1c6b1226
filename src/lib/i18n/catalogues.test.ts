// The type already requires the same keys in both catalogues; this checks what a type cannot: no
// empty sentence, and the same {{placeholders}} in each language (a translator may reword, not drop).
import { describe, expect, it } from 'vitest';
import { en } from './locales/en';
import { fr } from './locales/fr';

function leaves(tree: object, prefix = ''): [string, string][] {
  return Object.entries(tree).flatMap(([key, value]) =>
    typeof value === 'string'
      ? [[prefix + key, value] as [string, string]]
      : leaves(value as object, `${prefix}${key}.`),
  );
}

const placeholders = (text: string) => [...text.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]).sort();

describe('catalogues', () => {
  it('have the same keys, no empty sentence, and the same placeholders', () => {
    const english = new Map(leaves(en));
    const french = new Map(leaves(fr));
    expect([...french.keys()].sort()).toEqual([...english.keys()].sort());
    for (const [key, text] of french) {
      expect(text.trim(), key).not.toBe('');
      expect(placeholders(text), key).toEqual(placeholders(english.get(key)!));
    }
  });
});
