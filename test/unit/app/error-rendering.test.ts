// How thrown values become responses, without HTTP: the table the error handler applies, and the
// raw responses for requests Node's parser rejects.
import { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { handleClientError } from '../../../src/app/client-error.js';
import { INTERNAL_ERROR_MESSAGE, renderError } from '../../../src/app/error-handler.js';
import { classifyParserError, HttpError, invalidInput } from '../../../src/http-errors.js';
import { assertNoLeak, parseRawResponse } from './harness.js';

/** What the error handler sends for `err`. */
const rendered = (err: unknown) => {
  const error = renderError(err);
  return { status: error.status, body: error.toBody(), headers: error.headers };
};

const libraryError = (props: Record<string, unknown>, message = 'library says no') =>
  Object.assign(new Error(message), props);

describe('renderError', () => {
  it('renders an HttpError as it was written, with its headers', () => {
    const err = new HttpError(405, 'method_not_allowed', 'nope', { headers: { Allow: 'GET' } });
    expect(rendered(err)).toEqual({
      status: 405,
      body: { error: { code: 'method_not_allowed', message: 'nope' } },
      headers: { Allow: 'GET' },
    });
    expect(rendered(invalidInput('ms', 'ms is required')).body).toEqual({
      error: { code: 'invalid_input', message: 'ms is required', field: 'ms' },
    });
  });

  it.each([
    [libraryError({ status: 400, expose: true }), 400, 'bad_request', 'library says no'],
    [libraryError({ statusCode: 413, expose: true }), 413, 'payload_too_large', 'library says no'],
    [
      libraryError({ status: 415, expose: false }),
      415,
      'unsupported_media_type',
      'unsupported media type',
    ],
    [libraryError({ status: 418 }), 418, 'error', "i'm a teapot"],
    // A 5xx never shows its message, even when marked exposable.
    [
      libraryError({ status: 503, expose: true }, 'db at /work/x.ts down'),
      503,
      'unavailable',
      'service unavailable',
    ],
    [
      libraryError({ status: 500, expose: true }, 'secret'),
      500,
      'internal_error',
      INTERNAL_ERROR_MESSAGE,
    ],
    // Nonsense statuses are a 500.
    [libraryError({ status: 200, expose: true }), 500, 'internal_error', INTERNAL_ERROR_MESSAGE],
    [libraryError({ status: 599 }), 500, 'internal_error', INTERNAL_ERROR_MESSAGE],
    [libraryError({ status: '400' }), 500, 'internal_error', INTERNAL_ERROR_MESSAGE],
    [libraryError({ status: 400.5 }), 500, 'internal_error', INTERNAL_ERROR_MESSAGE],
    [
      new TypeError("Cannot read properties of undefined (reading 'x')"),
      500,
      'internal_error',
      INTERNAL_ERROR_MESSAGE,
    ],
    ['a thrown string', 500, 'internal_error', INTERNAL_ERROR_MESSAGE],
    [null, 500, 'internal_error', INTERNAL_ERROR_MESSAGE],
    [undefined, 500, 'internal_error', INTERNAL_ERROR_MESSAGE],
  ])('%o -> %i %s', (err, status, code, message) => {
    const answer = rendered(err);
    expect(answer).toEqual({ status, body: { error: { code, message } }, headers: {} });
    assertNoLeak(JSON.stringify(answer.body));
  });
});

describe('client errors (requests Node rejects before Koa sees them)', () => {
  class FakeSocket extends Duplex {
    written = '';
    _httpMessage?: { headersSent: boolean };
    override _read(): void {}
    override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
      this.written += chunk.toString();
      callback();
    }
  }

  /** The raw answer handleClientError writes on an idle connection. */
  const answerTo = (err: Error) => {
    const socket = new FakeSocket();
    handleClientError(err, socket);
    return parseRawResponse(socket.written);
  };

  it.each([
    ['HPE_HEADER_OVERFLOW', 431, 'request_header_fields_too_large'],
    ['HPE_CHUNK_EXTENSIONS_OVERFLOW', 413, 'payload_too_large'],
    ['ERR_HTTP_REQUEST_TIMEOUT', 408, 'request_timeout'],
    ['HPE_INVALID_METHOD', 400, 'bad_request'],
    ['HPE_INVALID_EOF_STATE', 400, 'bad_request'],
    [undefined, 400, 'bad_request'],
  ])(
    '%s -> %i %s, as a complete JSON response that closes the connection',
    (code, status, errorCode) => {
      const err = Object.assign(new Error('Parse Error: at /work/internal'), { code });
      expect(classifyParserError(err).status).toBe(status);
      const response = answerTo(err);
      expect(response.status).toBe(status);
      expect(response.headers.connection).toBe('close');
      expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(Number(response.headers['content-length'])).toBe(Buffer.byteLength(response.body));
      expect((JSON.parse(response.body) as { error: { code: string } }).error.code).toBe(errorCode);
      assertNoLeak(response.body);
    },
  );

  it('carries a request id of its own on every rejection', () => {
    const first = answerTo(new Error('x'));
    const second = answerTo(new Error('x'));
    expect(first.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(first.headers['x-request-id']).not.toBe(second.headers['x-request-id']);
  });

  it('answers on an idle socket', () => {
    const socket = new FakeSocket();
    handleClientError(Object.assign(new Error('x'), { code: 'HPE_INVALID_METHOD' }), socket);
    expect(socket.written.startsWith('HTTP/1.1 400 Bad Request\r\n')).toBe(true);
  });

  it('answers when a response exists but has not started', () => {
    const socket = new FakeSocket();
    socket._httpMessage = { headersSent: false };
    handleClientError(Object.assign(new Error('x'), { code: 'HPE_INVALID_EOF_STATE' }), socket);
    expect(socket.written.startsWith('HTTP/1.1 400 ')).toBe(true);
  });

  it('only destroys the socket mid-response or after a reset', () => {
    const midResponse = new FakeSocket();
    midResponse._httpMessage = { headersSent: true };
    handleClientError(Object.assign(new Error('x'), { code: 'HPE_INVALID_METHOD' }), midResponse);
    expect(midResponse.written).toBe('');
    expect(midResponse.destroyed).toBe(true);

    const reset = new FakeSocket();
    handleClientError(Object.assign(new Error('x'), { code: 'ECONNRESET' }), reset);
    expect(reset.written).toBe('');
    expect(reset.destroyed).toBe(true);
  });
});
