// The chaos run's reading of /proc/net/tcp (which descriptors of a process are TCP connections,
// and in which state), and of the cluster's log lines that explain a worker's death.
import { describe, expect, it } from 'vitest';
import { deathClues } from '../../../scripts/chaos/checker.js';
import { describeConnections, parseProcNetTcp } from '../../../scripts/chaos/descriptors.js';

const TABLE = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1278 1 0000000000000000 100 0 0 10 0
   1: 0100007F:1F90 0100007F:D431 08 00000000:00000000 00:00000000 00000000     0        0 9031 1 0000000000000000 20 4 30 10 -1
`;

describe('/proc/net/tcp', () => {
  it('reads addresses, state and inode', () => {
    const entries = parseProcNetTcp(TABLE);
    expect(entries).toEqual([
      { local: '127.0.0.1:8080', remote: '0.0.0.0:0', state: 'LISTEN', inode: '1278' },
      { local: '127.0.0.1:8080', remote: '127.0.0.1:54321', state: 'CLOSE_WAIT', inode: '9031' },
    ]);
    expect(describeConnections(entries.slice(1))).toBe(
      'CLOSE_WAIT 127.0.0.1:8080<-127.0.0.1:54321',
    );
  });
});

describe('deathClues', () => {
  it('quotes who died of what, without stack traces', () => {
    const logs = [
      '{"level":30,"msg":"fine"}',
      '{"level":"fatal","pid":7,"role":"worker","err":{"message":"EMFILE: too many open files","stack":"Error: ...long"},"msg":"uncaught exception"}',
      '{"level":"error","pid":1,"role":"manager","reason":"crash","why":"exited unexpectedly","msg":"worker died"}',
    ].join('\n');
    expect(deathClues(logs)).toBe(
      'worker | 7 | uncaught exception | EMFILE: too many open files\n    manager | 1 | worker died | crash | exited unexpectedly',
    );
  });
});
