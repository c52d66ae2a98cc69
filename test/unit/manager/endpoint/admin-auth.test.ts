import { describe, expect, it } from 'vitest';
import { checkAdminAuth } from '../../../../src/manager/endpoint/admin-auth.js';

const token = 'a-long-enough-admin-token';

describe('checkAdminAuth', () => {
  it('is disabled without a token, whatever is sent', () => {
    expect(checkAdminAuth(undefined, `Bearer ${token}`)).toBe('disabled');
  });
  it('accepts the exact bearer token', () => {
    expect(checkAdminAuth(token, `Bearer ${token}`)).toBe('ok');
    expect(checkAdminAuth(token, `bearer ${token}`)).toBe('ok');
  });
  it.each([
    undefined,
    '',
    'Bearer',
    `Basic ${token}`,
    `Bearer ${token}x`,
    `Bearer ${token.slice(1)}`,
  ])('refuses %j', (header) => expect(checkAdminAuth(token, header)).toBe('unauthorized'));
});
