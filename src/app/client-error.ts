// Requests Node's HTTP parser rejects (garbage request line, oversized headers, a request that
// took too long to arrive) never reach Koa: Node answers them itself, in plain text and without
// our headers. The worker passes handleClientError to its server's 'clientError' event so those
// answers have the API's JSON error shape and security headers too.
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  answerParserError,
  cannotAnswer,
  classifyParserError,
  type ParserError,
} from '../http-errors.js';
import { REQUEST_ID_HEADER, SECURITY_HEADERS } from './security-headers.js';

export function handleClientError(err: ParserError, socket: Duplex): void {
  const current = (socket as { _httpMessage?: ServerResponse | null })._httpMessage;
  if (current?.req?.complete !== false || cannotAnswer(err, socket, current.headersSent)) {
    // docs/reference.md promises a request id on every response; nobody else will ever quote this
    // one, but a client reporting the failure can.
    answerParserError(err, socket, { [REQUEST_ID_HEADER]: randomUUID(), ...SECURITY_HEADERS });
    return;
  }
  // The parser failed inside the body of a request the app is already serving (broken chunking,
  // a body too slow for the request timeout): answer through that request's own response, so the
  // answer keeps the headers the app already set (request id, security headers) and the app's
  // metrics record the status sent, instead of a client that went away (499).
  const rejection = classifyParserError(err);
  const body = JSON.stringify(rejection.toBody());
  current.writeHead(rejection.status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    Connection: 'close',
  });
  current.end(body);
  // The parser is dead, so the body will never end, and Node no longer aborts a request that
  // has been answered: end it by hand once the answer is out, or the app's body read (and the
  // in-flight count) would wait forever.
  socket.once('close', () => current.req.destroy());
}
