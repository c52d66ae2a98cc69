// Requests the manager endpoint's HTTP parser rejects (garbage, oversized headers, too slow)
// never reach its routes; Node would answer them with an empty body. This answers them in the
// manager's own JSON error shape. (The workers have their own, in src/app/client-error.ts: the
// manager does not load application code.)
import type { Duplex } from 'node:stream';

interface ParserError extends Error {
  code?: string;
}

/** The same statuses Node itself would send. */
function rejectionFor(code: string | undefined): [number, string, string, string] {
  if (code === 'HPE_HEADER_OVERFLOW') {
    return [
      431,
      'Request Header Fields Too Large',
      'headers_too_large',
      'request headers are too large',
    ];
  }
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return [408, 'Request Timeout', 'request_timeout', 'the request was not received in time'];
  }
  return [400, 'Bad Request', 'bad_request', 'malformed HTTP request'];
}

/** Listener for the manager server's 'clientError' event. */
export function answerClientError(err: ParserError, socket: Duplex): void {
  // Mid-response bytes would corrupt the answer already on its way; a reset client hears nothing.
  const midResponse = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || midResponse?.headersSent === true) {
    socket.destroy();
    return;
  }
  const [status, reason, code, message] = rejectionFor(err.code);
  const body = JSON.stringify({ error: { code, message } });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\n` +
      `X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${body}`,
  );
}
