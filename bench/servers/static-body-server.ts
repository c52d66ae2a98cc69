// Row 4b's control: a node:http server that answers every GET with the same body of BODY_BYTES
// bytes (exposition-like text lines), prepared once. Scraping it costs the machine what fetching
// that many bytes over loopback costs (the client, the kernel's copy, one write), with no
// metrics work anywhere: the floor under "throughput while /metrics is scraped".
// Run: PORT=... BODY_BYTES=... node --import tsx bench/servers/static-body-server.ts
import http from 'node:http';

const port = Number(process.env.PORT ?? '0');
const host = process.env.HOST ?? '127.0.0.1';
const bytes = Number(process.env.BODY_BYTES ?? '0');
if (!Number.isInteger(bytes) || bytes < 0) throw new Error(`BODY_BYTES=${bytes}: a byte count`);

const LINE = 'static_body_sample{slot="0",le="0.005"} 12345\n';
const body = Buffer.from(LINE.repeat(Math.ceil(bytes / LINE.length)).slice(0, bytes));

http
  .createServer((_req, res) => {
    res.writeHead(200, {
      'content-type': 'text/plain; version=0.0.4; charset=utf-8',
      'content-length': body.length,
    });
    res.end(body);
  })
  .listen(port, host);
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => process.exit(0));
