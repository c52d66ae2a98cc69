// `Expect` handling for the worker's HTTP server. Without listeners, Node answers every
// `Expect: 100-continue` with 100 Continue before the application sees the request, so a client
// declaring a 50 MB body is invited to start uploading it and only then refused with 413; and it
// answers any other expectation with a bare 417. Here both reach the application instead.
import type http from 'node:http';
import { BODY_LIMIT_BYTES } from './json-body.js';

export function handleExpectations(server: http.Server): void {
  server.on('checkContinue', (req: http.IncomingMessage, res: http.ServerResponse) => {
    // No 100 for a body the API will refuse unread (413): the client never starts sending it,
    // and the connection closes after the answer instead of waiting for a body that won't come.
    const oversized = Number(req.headers['content-length']) > BODY_LIMIT_BYTES;
    if (oversized) res.setHeader('Connection', 'close');
    else res.writeContinue();
    server.emit('request', req, res);
  });
  // The application answers 417 in the API's shape (request-preconditions.ts).
  server.on('checkExpectation', (req: http.IncomingMessage, res: http.ServerResponse) => {
    server.emit('request', req, res);
  });
}
