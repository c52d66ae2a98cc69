// The hand-off watch on one worker's channel: what an ack settles, and what it closes after the
// worker is gone (a message that is no hand-off is not counted). The real cluster case is hung-kill-handoff.test.ts.
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { watchConnectionHandoffs } from '../../../../src/manager/supervision/connection-handoffs.js';

/** The two things the watch touches on a ChildProcess: send() and 'internalMessage'. */
function channel() {
  const sent: unknown[] = [];
  const child = Object.assign(new EventEmitter(), {
    send: (message: unknown) => sent.push(message) > 0,
  });
  return { child: child as unknown as ChildProcess, emitter: child, sent };
}

const handle = () => {
  const h = { closed: 0, close: () => void (h.closed += 1) };
  return h;
};
const newconn = (seq: number) => ({ cmd: 'NODE_CLUSTER', act: 'newconn', key: 'k', seq });

describe('watchConnectionHandoffs', () => {
  it('closes exactly the connections the worker never acknowledged', () => {
    const { child, emitter, sent } = channel();
    const handoffs = watchConnectionHandoffs(child);
    const [a, b, c] = [handle(), handle(), handle()];
    child.send(newconn(1), a as never);
    child.send(newconn(2), b as never);
    child.send(newconn(3), c as never);
    child.send({ cmd: 'NODE_CLUSTER', act: 'other', seq: 4 }, handle() as never);
    child.send({ type: 'drain' });
    expect(sent).toHaveLength(5);
    // Accepted or refused, an answered hand-off is cluster's own business again.
    emitter.emit('internalMessage', { cmd: 'NODE_CLUSTER', ack: 1, accepted: true, seq: 9 });
    emitter.emit('internalMessage', { cmd: 'NODE_CLUSTER', ack: 3, accepted: false, seq: 10 });
    expect(handoffs.closeUnacknowledged()).toBe(1);
    expect([a.closed, b.closed, c.closed]).toEqual([0, 1, 0]);
    expect(handoffs.closeUnacknowledged()).toBe(0);
  });
});
