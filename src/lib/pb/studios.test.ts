import { describe, expect, it } from 'vitest';
import { slugify } from './studios';

describe('slugify', () => {
  it('makes a valid studio address from a name', () => {
    expect(slugify('The Blue Notes!')).toBe('the-blue-notes');
    expect(slugify('  Café   Crème  ')).toBe('cafe-creme');
    expect(slugify('x'.repeat(60))).toHaveLength(40);
    expect(slugify('a'.repeat(39) + ' b')).toBe('a'.repeat(39));
    expect(slugify('!!!')).toBe('');
  });
});
