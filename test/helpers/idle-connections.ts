// A flood of idle clients: connections that send nothing, for tests of descriptor limits.
import net from 'node:net';

/** Opens `count` connections that send nothing; resolves once each connected or failed. */
export function openIdle(port: number, count: number): Promise<net.Socket[]> {
  return Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<net.Socket>((resolve) => {
          const socket = net.connect(port, '127.0.0.1');
          socket.on('error', () => resolve(socket));
          socket.once('connect', () => resolve(socket));
          socket.setTimeout(5_000, () => resolve(socket));
        }),
    ),
  );
}
