// Requests Node's HTTP parser rejects (garbage request line, oversized headers, a request that
// took too long to arrive) never reach Koa: Node answers them itself, in plain text and without
// our headers. The worker can pass handleClientError to its server's 'clientError' event so those
// answers have the API's JSON error shape and security headers too.
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { errorBody } from './http-error.js';
import { REQUEST_ID_HEADER } from './request-id.js';
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
    // The README promises one on every response; nobody else will ever quote this one, but a
    // client reporting the failure can.
    `${REQUEST_ID_HEADER}: ${randomUUID()}`,
    ...Object.entries(SECURITY_HEADERS).map(([name, value]) => `${name}: ${value}`),
  ];
  return `${headers.join('\r\n')}\r\n\r\n${body}`;
}

/** Node's (private) link from a socket to the response currently being written on it. */
interface HttpSocket extends Duplex {
  _httpMessage?: ServerResponse | null;
}

/**
 * The parser failed inside the body of a request the app is already serving (broken chunking,
 * a body too slow for the request timeout): answer through that request's own response, so the
 * answer keeps the headers the app already set (request id, security headers) and the app's
 * metrics record the status sent, instead of a client that went away (499).
 */
function answerInFlight(res: ServerResponse, socket: Duplex, err: ParserError): void {
  const rejection = classifyClientError(err);
  const body = JSON.stringify(errorBody(rejection.code, rejection.message));
  res.writeHead(rejection.status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    Connection: 'close',
  });
  res.end(body);
  // The parser is dead, so the body will never end, and Node no longer aborts a request that
  // has been answered: end it by hand once the answer is out, or the app's body read (and the
  // in-flight count) would wait forever.
  socket.once('close', () => res.req.destroy());
}

/** Listener for http.Server's 'clientError' event. */
export function handleClientError(err: ParserError, socket: Duplex): void {
  // Nothing can be said to a client that is gone, or once a response has started on this
  // connection (our bytes would land in the middle of it). A request whose response has not
  // started yet (e.g. its body was cut short) still gets the error, as Node itself would send.
  const current = (socket as HttpSocket)._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || current?.headersSent === true) {
    socket.destroy();
    return;
  }
  if (current?.req?.complete === false) answerInFlight(current, socket, err);
  else socket.end(clientErrorResponse(err));
}
