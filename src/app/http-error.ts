// The one error type the application throws on purpose. Anything else that reaches the error
// handler is a bug and becomes a generic 500, so only messages written here ever reach a client.

/** The JSON shape of every error response the API sends. */
export interface ErrorBody {
  error: {
    code: string;
    message: string;
    /** The query parameter or body field that was rejected (validation errors only). */
    field?: string;
  };
}

export interface HttpErrorOptions {
  field?: string;
  /** Response headers that belong to the error, e.g. `Allow` on a 405. */
  headers?: Record<string, string>;
  cause?: unknown;
}

export class HttpError extends Error {
  /** http-errors convention: the message is safe to show to the client. */
  readonly expose = true;
  readonly field: string | undefined;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    options: HttpErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HttpError';
    this.field = options.field;
    this.headers = options.headers ?? {};
  }

  toBody(): ErrorBody {
    return errorBody(this.code, this.message, this.field);
  }
}

export function errorBody(code: string, message: string, field?: string): ErrorBody {
  return field === undefined ? { error: { code, message } } : { error: { code, message, field } };
}

/** 400 for a query parameter or body field that failed validation. */
export function invalidInput(field: string, message: string): HttpError {
  return new HttpError(400, 'invalid_input', message, { field });
}

export function notFound(): HttpError {
  return new HttpError(404, 'not_found', 'no such route');
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
