// The error contract every HTTP answer of the service keeps, the API's and the manager
// endpoint's alike: one JSON shape, one error type thrown on purpose (and the ones the API
// throws, made here), and the answers to requests Node's parser rejects before any handler runs.
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

export function errorBody(code: string, message: string, field?: string) {
  return field === undefined ? { error: { code, message } } : { error: { code, message, field } };
}

/**
 * The one error type thrown on purpose. Anything else reaching an error handler is a bug and
 * becomes a generic 500, so only messages written here ever reach a client.
 */
export class HttpError extends Error {
  /** http-errors convention: the message is safe to show to the client. */
  readonly expose = true;
  /** The query parameter or body field that was rejected (validation errors only). */
  readonly field: string | undefined;
  /** Response headers that belong to the error, e.g. `Allow` on a 405. */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    options: { field?: string; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HttpError';
    this.field = options.field;
    this.headers = options.headers ?? {};
  }

  toBody() {
    return errorBody(this.code, this.message, this.field);
  }

  /** The error as data, e.g. to cross a thread: a message keeps an Error's message only. */
  toJSON(): HttpErrorJSON {
    const { status, code, message, field, headers } = this;
    return { status, code, message, field, headers: { ...headers } };
  }

  static fromJSON({ status, code, message, field, headers }: HttpErrorJSON): HttpError {
    return new HttpError(status, code, message, { field, headers: { ...headers } });
  }
}

export type HttpErrorJSON = Pick<HttpError, 'status' | 'code' | 'message' | 'field' | 'headers'>;

// The connection closes after the answer: what is left on it is unread or unwanted (a body not
// read, so that Node does not read and discard an arbitrarily large one), as after Node's own.
const CLOSE = { Connection: 'close' };

export function missingHost(): HttpError {
  return new HttpError(400, 'bad_request', 'an HTTP/1.1 request must carry a Host header', {
    headers: CLOSE,
  });
}

export function expectationFailed(): HttpError {
  return new HttpError(
    417,
    'expectation_failed',
    'the only expectation supported is "Expect: 100-continue"',
    { headers: CLOSE },
  );
}

// ---- the API's own errors ---------------------------------------------------------------------

export function invalidInput(field: string, message: string): HttpError {
  return new HttpError(400, 'invalid_input', message, { field });
}

export function badRequest(message: string, options: { cause?: unknown } = {}) {
  return new HttpError(400, 'bad_request', message, { cause: options.cause });
}

export function methodNotAllowed(method: string, allow: readonly string[]): HttpError {
  // The method is one of a fixed set or a token Node's parser accepted; cap it anyway so an odd
  // extension method cannot make the message arbitrarily long.
  return new HttpError(
    405,
    'method_not_allowed',
    `method ${method.slice(0, 32)} is not allowed here; allowed: ${allow.join(', ')}`,
    { headers: { Allow: allow.join(', ') } },
  );
}

export function payloadTooLarge(limit: number): HttpError {
  return new HttpError(413, 'payload_too_large', `request body must be at most ${limit} bytes`, {
    headers: CLOSE,
  });
}

export function unsupportedMediaType(message: string): HttpError {
  return new HttpError(415, 'unsupported_media_type', message, { headers: CLOSE });
}

/** The client's retry goes to another connection (and worker). */
export function overloaded(retryAfterSeconds: number): HttpError {
  return new HttpError(503, 'overloaded', 'this worker is saturated; retry shortly', {
    headers: { 'Retry-After': String(retryAfterSeconds), ...CLOSE },
  });
}

// ---- JSON request bodies --------------------------------------------------------------------

const UTF8 = new Set(['utf-8', 'utf8']);

/**
 * Why a body cannot be read as JSON, from its headers alone, on the API and the admin calls alike
 * (a 415): it must be `application/json`, UTF-8 if a charset is named (JSON is UTF-8, RFC 8259: a
 * body declared otherwise would be misread, not parsed), not compressed.
 */
export function jsonBodyProblem(headers: {
  'content-type'?: string | undefined;
  'content-encoding'?: string | undefined;
}): string | undefined {
  const [type = '', ...params] = (headers['content-type'] ?? '').toLowerCase().split(';');
  if (type.trim() !== 'application/json') return 'content-type must be application/json';
  for (const param of params) {
    const [name = '', value = ''] = param.split('=');
    const charset = value.trim().replace(/^"(.*)"$/, '$1');
    if (name.trim() === 'charset' && !UTF8.has(charset)) return 'charset must be utf-8';
  }
  const encoding = headers['content-encoding']?.trim().toLowerCase();
  if (encoding !== undefined && encoding !== 'identity') return 'content-encoding is not supported';
  return undefined;
}

// ---- requests the parser rejects ----------------------------------------------------------

export type ParserError = Error & { code?: string };

/** The same statuses Node itself would send (lib/_http_server.js socketOnError), by error code. */
const PARSER_REJECTIONS = new Map<string | undefined, [number, string, string]>([
  [
    'HPE_HEADER_OVERFLOW',
    [431, 'request_header_fields_too_large', 'request headers are too large'],
  ],
  ['HPE_CHUNK_EXTENSIONS_OVERFLOW', [413, 'payload_too_large', 'chunk extensions are too large']],
  ['ERR_HTTP_REQUEST_TIMEOUT', [408, 'request_timeout', 'the request was not received in time']],
]);

// Parser messages name parser states; the client only needs to know the request was bad.
const MALFORMED: [number, string, string] = [400, 'bad_request', 'malformed HTTP request'];

export function classifyParserError(err: ParserError): HttpError {
  const [status, code, message] = PARSER_REJECTIONS.get(err.code) ?? MALFORMED;
  return new HttpError(status, code, message);
}

/**
 * Nothing can be said to a client that is gone, or once a response has started on this
 * connection (our bytes would land in the middle of it).
 */
export function cannotAnswer(err: ParserError, socket: Duplex, responseStarted: boolean): boolean {
  return err.code === 'ECONNRESET' || !socket.writable || responseStarted;
}

/** How long an answered connection stays open for its client to read and close. */
export const CLIENT_ERROR_LINGER_MS = 1_000;

/** The 'clientError' answer of the API and of the manager endpoint alike, with `headers`. */
export function answerParserError(
  err: ParserError,
  socket: Duplex,
  headers: Readonly<Record<string, string>>,
): void {
  // Node's (private) link from a socket to its response; one not started yet (e.g. its body was cut
  // short) leaves room for the answer, as for Node's own.
  const current = (socket as { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
  if (cannotAnswer(err, socket, current?.headersSent === true)) return void socket.destroy();
  const rejection = classifyParserError(err);
  const body = JSON.stringify(rejection.toBody());
  const lines = [
    `HTTP/1.1 ${rejection.status} ${STATUS_CODES[rejection.status]}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  // Ending the socket only half-closes it: a client that never closes its side would keep the
  // descriptor forever (a few hundred lock the manager's port out; on the API's each one holds a
  // drain to its timeout). Node's own handler destroys at once; this lets the answer be read
  // first, reading on meanwhile, since closing over unread bytes resets the connection and may lose the answer.
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
  const timer = setTimeout(() => socket.destroy(), CLIENT_ERROR_LINGER_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  socket.on('data', () => undefined);
  socket.resume();
}
