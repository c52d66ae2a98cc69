// The metrics thread's calls to the main thread: answered, refused with the HTTP answer the
// endpoint gives, failed, or not answered in time (the main thread busy, paused or wedged).
import { describe, expect, it } from 'vitest';
import { HttpError } from '../../../../src/http-errors.js';
import { createLogger } from '../../../../src/logger.js';
import {
  MainThreadCalls,
  MainThreadUnresponsiveError,
  runCall,
  type MainCallHandlers,
  type MainCallMessage,
} from '../../../../src/manager/thread/main-thread-calls.js';

function calls() {
  const sent: MainCallMessage[] = [];
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
    c.onReply({ type: 'answer', callId: sent[1]!.callId, ok: true, value: null });
    c.onReply({ type: 'answer', callId: sent[0]!.callId, ok: true, value: 4 });
    expect(await first).toBe(4);
    expect(await second).toBeNull();
  });

  it('rejects a refused call with the HTTP answer the main thread chose', async () => {
    const { sent, calls: c } = calls();
    const refused = c.call('scale', [2]);
    c.onReply({
      type: 'answer',
      callId: sent[0]!.callId,
      ok: false,
      // As a message carries it: a structured clone, which keeps an Error's message only.
      error: structuredClone(
        new HttpError(503, 'shutting_down', 'stopping', {
          field: 'f',
          headers: { A: 'b' },
        }).toJSON(),
      ),
    });
    const error = await refused.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({
      status: 503,
      code: 'shutting_down',
      message: 'stopping',
      field: 'f',
      headers: { A: 'b' },
    });
  });

  it('rejects a failed call with a plain error (the endpoint answers 500)', async () => {
    const { sent, calls: c } = calls();
    const failed = c.call('status', []);
    c.onReply({ type: 'answer', callId: sent[0]!.callId, ok: false, error: 'x' });
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
      c.onReply({ type: 'answer', callId: sent[0]!.callId, ok: true, value: null }),
    ).not.toThrow();
  });

  it('gives the main thread until the deadline minus the late-call margin to run a call', () => {
    const { sent, calls: c } = calls();
    void c.call('live', []).catch(() => undefined);
    void c.call('managerMetrics', [], 247).catch(() => undefined);
    const [probe, read] = sent;
    expect(probe!.expiresAt - probe!.runBy).toBe(250);
    // A quarter of a short deadline, not a fixed 250 ms that would leave it no time at all.
    expect(read!.expiresAt - read!.runBy).toBe(61);
    c.onReply({ type: 'late', callId: probe!.callId });
    c.onReply({ type: 'late', callId: read!.callId });
  });

  it('rejects a call the main thread reports late at once, not at its deadline', async () => {
    const { sent, calls: c } = calls();
    const late = c.call('reload', [], 60_000);
    c.onReply({ type: 'late', callId: sent[0]!.callId });
    expect(await late.catch((e: unknown) => e)).toBeInstanceOf(MainThreadUnresponsiveError);
  });

  it('knows since when the main thread has left calls unanswered, deadlines passed or not', async () => {
    const { sent, calls: c } = calls();
    expect(c.unansweredForMs()).toBe(0);
    const first = c.call('live', [], 5).catch(() => undefined);
    const sentAt = Date.now();
    void c.call('status', []).catch(() => undefined);
    await first; // its deadline passed: still unanswered
    expect(c.unansweredForMs(sentAt + 1_000)).toBeGreaterThanOrEqual(1_000);
    // A reply to the second proves the main thread read the first too.
    c.onReply({ type: 'answer', callId: sent[1]!.callId, ok: true, value: null });
    expect(c.unansweredForMs()).toBe(0);
    void c.call('live', []).catch(() => undefined);
    c.onReply({ type: 'late', callId: sent[2]!.callId });
    expect(c.unansweredForMs()).toBe(0);
  });
});

describe('runCall (the main thread side)', () => {
  const logger = createLogger('silent', {});
  const handlers: MainCallHandlers = {
    live: () => null,
    status: () => Promise.reject(new Error('a bug')),
    reload: () => {
      throw new HttpError(503, 'shutting_down', 'stopping');
    },
    scale: () => null,
    setLogLevel: () => null,
    managerMetrics: () => [],
  };
  const message = (name: MainCallMessage['name'], runBy = Date.now() + 1_000): MainCallMessage =>
    ({ type: 'call', callId: 7, name, args: [], expiresAt: runBy + 250, runBy }) as MainCallMessage;

  it('answers with the value, an HttpError as data, or a bug as its message', async () => {
    expect(await runCall(handlers, message('live'), logger)).toEqual({
      type: 'answer',
      callId: 7,
      ok: true,
      value: null,
    });
    expect(await runCall(handlers, message('reload'), logger)).toMatchObject({
      ok: false,
      error: { status: 503, code: 'shutting_down', message: 'stopping' },
    });
    expect(await runCall(handlers, message('status'), logger)).toMatchObject({
      ok: false,
      error: 'Error: a bug',
    });
  });

  it('does not run a call past its runBy, and says it came late', async () => {
    let reloads = 0;
    const counting = { ...handlers, reload: () => ++reloads };
    const reply = await runCall(counting, message('reload', Date.now() - 1), logger);
    expect(reply).toEqual({ type: 'late', callId: 7 });
    expect(reloads).toBe(0);
  });
});
