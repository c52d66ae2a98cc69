// The ceiling: a bare node:http server answering the same JSON hello as GET /api/hello, with no
// framework, no middleware and no metrics. Row 3 of the bench.
// Run: PORT=... node --import tsx bench/servers/bare-server.ts
import http from 'node:http';

const port = Number(process.env.PORT ?? '0');
const host = process.env.HOST ?? '127.0.0.1';

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (req.method !== 'GET' || url.pathname !== '/api/hello') {
    res.writeHead(404, { 'content-type': 'application/json; charset=utf-8' });
    res.end('{"error":{"code":"not_found"}}');
    return;
  }
  const body = JSON.stringify({ message: `hello, ${url.searchParams.get('name') ?? 'world'}` });
  res.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
});
server.keepAliveTimeout = 5_000;
server.listen(port, host, () => {
  process.stdout.write(`bare-server listening on ${host}:${port}\n`);
});
// Exit through process.exit so --cpu-prof and exit hooks run when the bench stops this server.
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => process.exit(0));
