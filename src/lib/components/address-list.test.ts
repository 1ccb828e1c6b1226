import { describe, expect, it } from 'vitest';
import { splitAddresses } from './address-list';

describe('splitAddresses', () => {
  it('takes addresses one per line or separated by commas, semicolons or spaces', () => {
    expect(splitAddresses(' a@x.org,b@x.org;\n c@x.org  d@x.org ,, ')).toEqual([
      'a@x.org',
      'b@x.org',
      'c@x.org',
      'd@x.org',
    ]);
    expect(splitAddresses('  \n ')).toEqual([]);
  });
});
