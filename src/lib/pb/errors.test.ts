import { ClientResponseError } from 'pocketbase';
import { describe, expect, it } from 'vitest';
import { describeError, errorCode } from './errors';

function pbError(status: number, response: Record<string, unknown>) {
  return new ClientResponseError({ status, response, url: 'http://x/api' });
}

describe('describeError', () => {
  it('explains a taken email and a weak password field by field', () => {
    const error = pbError(400, {
      message: 'Failed to create record.',
      data: {
        email: { code: 'validation_not_unique', message: 'Value must be unique.' },
        password: { code: 'validation_min_text_constraint', message: 'Must be at least 10 character(s).' },
      },
    });
    const described = describeError(error);
    expect(described.fields.email).toMatch(/already exists/);
    expect(described.fields.password).toMatch(/at least 10/);
    expect(described.message).toMatch(/highlighted/);
  });

  it('says "wrong email or password" for a failed login, and names unreachable servers', () => {
    expect(describeError(pbError(400, { message: 'Failed to authenticate.' }), 'login').message).toBe(
      'Wrong email or password.',
    );
    expect(describeError(new ClientResponseError({ status: 0 })).message).toMatch(/Cannot reach/);
  });

  it('keeps the server message and code of our own routes', () => {
    const error = pbError(403, { code: 'invitation-required', message: 'This studio is private.' });
    expect(errorCode(error)).toBe('invitation-required');
    expect(describeError(error).message).toBe('This studio is private.');
  });
});
