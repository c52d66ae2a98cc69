import { describe, expect, it } from 'vitest';
import type { AppContext } from '../../../src/app/context.js';
import { HttpError } from '../../../src/http-errors.js';
import { checkPreconditions } from '../../../src/app/request-preconditions.js';

function ctx(httpVersion: string, headers: Record<string, string>): AppContext {
  return { req: { httpVersion, headers } } as unknown as AppContext;
}

function statusOf(context: AppContext): number | 'admitted' {
  try {
    checkPreconditions(context);
    return 'admitted';
  } catch (error) {
    return (error as HttpError).status;
  }
}

describe('checkPreconditions', () => {
  it.each([
    ['1.1', { host: 'x' }, 'admitted'],
    ['1.1', {}, 400],
    ['1.1', { host: '' }, 400],
    ['1.0', {}, 'admitted'],
    ['1.1', { host: 'x', expect: '100-continue' }, 'admitted'],
    ['1.1', { host: 'x', expect: '100-Continue' }, 'admitted'],
    ['1.1', { host: 'x', expect: 'teapot' }, 417],
    ['1.0', { expect: 'teapot' }, 'admitted'],
  ] as const)('HTTP/%s %j -> %s', (version, headers, expected) => {
    expect(statusOf(ctx(version, headers))).toBe(expected);
  });

  it('closes the connection after a refusal, as Node does', () => {
    try {
      checkPreconditions(ctx('1.1', {}));
      expect.unreachable();
    } catch (error) {
      expect((error as HttpError).headers).toEqual({ Connection: 'close' });
      expect((error as HttpError).toBody().error.code).toBe('bad_request');
    }
  });
});
