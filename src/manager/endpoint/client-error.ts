// Requests the manager endpoint's HTTP parser rejects (garbage, oversized headers, too slow)
// never reach its routes; Node would answer them with an empty body. This answers them in the
// service's JSON error shape (src/http-errors.ts, shared with the API's own answers).
import type { Duplex } from 'node:stream';
import {
  answerAndClose,
  cannotAnswer,
  classifyParserError,
  parserErrorResponse,
  type ParserError,
} from '../../http-errors.js';

const HEADERS = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' };

/** Listener for the manager server's 'clientError' event. */
export function answerClientError(err: ParserError, socket: Duplex): void {
  const current = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (cannotAnswer(err, socket, current?.headersSent === true)) {
    socket.destroy();
    return;
  }
  answerAndClose(socket, parserErrorResponse(classifyParserError(err), HEADERS));
}
