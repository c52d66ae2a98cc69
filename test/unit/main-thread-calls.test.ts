// The metrics thread's calls to the main thread: answered, refused with the HTTP answer the
// endpoint gives, failed, or not answered in time (the main thread busy, paused or wedged).
import { describe, expect, it } from 'vitest';
import { HttpError } from '../../src/http-errors.js';
import {
  MainThreadCalls,
  MainThreadUnresponsiveError,
} from '../../src/manager/main-thread-calls.js';
import type { CallMain } from '../../src/manager/metrics-thread-protocol.js';

function calls() {
  const sent: CallMain[] = [];
  return { sent, calls: new MainThreadCalls((message) => sent.push(message)) };
}

describe('MainThreadCalls', () => {
  it('resolves a call with its answer, by call id', async () => {
    const { sent, calls: c } = calls();
    const first = c.call('reload', []);
    const second = c.call('scale', [3]);
    expect(sent.map(({ name, args }) => [name, args])).toEqual([
      ['reload', []],
      ['scale', [3]],
    ]);
    c.onAnswer({ type: 'answer', callId: sent[1]!.callId, ok: true, value: null });
    c.onAnswer({ type: 'answer', callId: sent[0]!.callId, ok: true, value: 4 });
    expect(await first).toBe(4);
    expect(await second).toBeNull();
  });

  it('rejects a refused call with the HTTP answer the main thread chose', async () => {
    const { sent, calls: c } = calls();
    const refused = c.call('scale', [2]);
    c.onAnswer({
      type: 'answer',
      callId: sent[0]!.callId,
      ok: false,
      refused: { status: 503, code: 'shutting_down', message: 'stopping', headers: { A: 'b' } },
      message: 'HttpError: stopping',
    });
    const error = await refused.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({ status: 503, code: 'shutting_down', headers: { A: 'b' } });
  });

  it('rejects a failed call with a plain error (the endpoint answers 500)', async () => {
    const { sent, calls: c } = calls();
    const failed = c.call('status', []);
    c.onAnswer({ type: 'answer', callId: sent[0]!.callId, ok: false, refused: null, message: 'x' });
    const error = await failed.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(HttpError);
  });

  it('gives up at the deadline with 503 manager_unresponsive; a late answer changes nothing', async () => {
    const { sent, calls: c } = calls();
    const late = c.call('live', [], 30);
    const error = await late.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MainThreadUnresponsiveError);
    expect(error).toMatchObject({
      status: 503,
      code: 'manager_unresponsive',
      headers: { 'Retry-After': '1' },
    });
    expect(() =>
      c.onAnswer({ type: 'answer', callId: sent[0]!.callId, ok: true, value: null }),
    ).not.toThrow();
  });
});
