import { describe, expect, it } from 'vitest';
import { requireAdmin } from '../../../../src/manager/endpoint/admin-auth.js';

const token = 'a-long-enough-admin-token';

const refusal = (adminToken: string | undefined, header: string | undefined) => {
  try {
    requireAdmin(adminToken, header);
    return undefined;
  } catch (error) {
    return error;
  }
};

describe('requireAdmin', () => {
  it('is disabled without a token, whatever is sent: 403', () => {
    expect(refusal(undefined, `Bearer ${token}`)).toMatchObject({
      status: 403,
      code: 'admin_disabled',
    });
  });
  it('accepts the exact bearer token', () => {
    expect(refusal(token, `Bearer ${token}`)).toBeUndefined();
    expect(refusal(token, `bearer ${token}`)).toBeUndefined();
  });
  it.each([
    undefined,
    '',
    'Bearer',
    `Basic ${token}`,
    `Bearer ${token}x`,
    `Bearer ${token.slice(1)}`,
  ])('refuses %j: 401 with a Bearer challenge', (header) =>
    expect(refusal(token, header)).toMatchObject({
      status: 401,
      code: 'unauthorized',
      headers: { 'WWW-Authenticate': 'Bearer realm="cluster-manager"' },
    }),
  );
});
