// Requests Node's HTTP parser rejects (garbage request line, oversized headers, a request that
// took too long to arrive) never reach Koa: Node answers them itself, in plain text and without
// our headers. The worker can pass handleClientError to its server's 'clientError' event so those
// answers have the API's JSON error shape and security headers too.
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  answerAndClose,
  cannotAnswer,
  classifyParserError,
  errorBody,
  parserErrorResponse,
  type ParserError,
} from '../http-errors.js';
import { REQUEST_ID_HEADER } from './request-id.js';
import { SECURITY_HEADERS } from './security-headers.js';

/** A complete HTTP/1.1 response for a request the parser rejected; the connection closes after. */
export function clientErrorResponse(err: ParserError): string {
  return parserErrorResponse(classifyParserError(err), {
    // docs/reference.md promises one on every response; nobody else will ever quote this one, but a
    // client reporting the failure can.
    [REQUEST_ID_HEADER]: randomUUID(),
    ...SECURITY_HEADERS,
  });
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
  const rejection = classifyParserError(err);
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
  // A request whose response has not started yet (e.g. its body was cut short) still gets the
  // error, as Node itself would send.
  const current = (socket as HttpSocket)._httpMessage;
  if (cannotAnswer(err, socket, current?.headersSent === true)) {
    socket.destroy();
    return;
  }
  if (current?.req?.complete === false) answerInFlight(current, socket, err);
  else answerAndClose(socket, clientErrorResponse(err));
}
