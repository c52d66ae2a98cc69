// Requests Node's HTTP parser rejects (garbage request line, oversized headers, a request that
// took too long to arrive) never reach Koa: Node answers them itself, in plain text and without
// our headers. The worker can pass handleClientError to its server's 'clientError' event so those
// answers have the API's JSON error shape and security headers too.
import type { Duplex } from 'node:stream';
import { errorBody } from './http-error.js';
import { SECURITY_HEADERS } from './security-headers.js';

interface ParserError extends Error {
  code?: string;
}

interface Rejection {
  status: number;
  reason: string;
  code: string;
  message: string;
}

/** The same statuses Node itself would send (lib/_http_server.js socketOnError). */
export function classifyClientError(err: ParserError): Rejection {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return {
        status: 431,
        reason: 'Request Header Fields Too Large',
        code: 'request_header_fields_too_large',
        message: 'request headers are too large',
      };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return {
        status: 413,
        reason: 'Payload Too Large',
        code: 'payload_too_large',
        message: 'chunk extensions are too large',
      };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return {
        status: 408,
        reason: 'Request Timeout',
        code: 'request_timeout',
        message: 'the request was not received in time',
      };
    default:
      // Parser messages name parser states; the client only needs to know the request was bad.
      return {
        status: 400,
        reason: 'Bad Request',
        code: 'bad_request',
        message: 'malformed HTTP request',
      };
  }
}

/** A complete HTTP/1.1 response for a request the parser rejected; the connection closes after. */
export function clientErrorResponse(err: ParserError): string {
  const rejection = classifyClientError(err);
  const body = JSON.stringify(errorBody(rejection.code, rejection.message));
  const headers = [
    `HTTP/1.1 ${rejection.status} ${rejection.reason}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    ...Object.entries(SECURITY_HEADERS).map(([name, value]) => `${name}: ${value}`),
  ];
  return `${headers.join('\r\n')}\r\n\r\n${body}`;
}

/** Node's private marker of a response still being written on this socket. */
interface HttpSocket extends Duplex {
  _httpMessage?: unknown;
}

/** Listener for http.Server's 'clientError' event. */
export function handleClientError(err: ParserError, socket: Duplex): void {
  // Nothing can be said to a client that is gone, or in the middle of another response (a
  // pipelined request after one still in progress): writing now would corrupt that response.
  const busy = (socket as HttpSocket)._httpMessage != null;
  if (err.code === 'ECONNRESET' || !socket.writable || busy) {
    socket.destroy();
    return;
  }
  socket.end(clientErrorResponse(err));
}
