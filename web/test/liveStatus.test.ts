import { describe, expect, it } from 'vitest';
import { applyStatus, FIRST_RETRY_MS, LiveFeed, MAX_RETRY_MS, type FeedMode, type StreamLike } from '../src/lib/liveStatus';
import type { PrinterStatus, PrinterSummary } from '../src/lib/types';

const printer = (id: number, state = 'idle'): PrinterSummary => ({
  id,
  name: `P${id}`,
  driver: 'printer.sim',
  source: 'api',
  model: null,
  status: { id, name: `P${id}`, connected: true, state },
});

class FakeStream implements StreamLike {
  onopen: ((event: Event) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  listeners: Record<string, ((event: MessageEvent) => void)[]> = {};
  closed = false;
  constructor(public url: string) {}
  addEventListener(type: string, listener: (event: MessageEvent) => void): void {
    (this.listeners[type] ??= []).push(listener);
  }
  close(): void {
    this.closed = true;
  }
  emit(type: string, data: unknown): void {
    for (const l of this.listeners[type] ?? []) l({ data: JSON.stringify(data) } as MessageEvent);
  }
}

function harness(tokens: (() => Promise<string>)[]) {
  const streams: FakeStream[] = [];
  const statuses: PrinterStatus[] = [];
  const modes: FeedMode[] = [];
  const timers: { fn: () => void; ms: number }[] = [];
  let calls = 0;
  const feed = new LiveFeed({
    token: () => (tokens[Math.min(calls++, tokens.length - 1)] ?? (() => Promise.resolve('t')))(),
    open: (url) => {
      const s = new FakeStream(url);
      streams.push(s);
      return s;
    },
    onStatus: (s) => statuses.push(s),
    onMode: (m) => modes.push(m),
    setTimer: (fn, ms) => {
      timers.push({ fn, ms });
      return timers.length;
    },
    clearTimer: () => undefined,
  });
  return { feed, streams, statuses, modes, timers };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('applyStatus', () => {
  it('replaces the status of the printer with that id only', () => {
    const items = [printer(1), printer(2)];
    const { items: next, known } = applyStatus(items, { id: 2, name: 'P2', connected: true, state: 'printing' });
    expect(known).toBe(true);
    expect(next[1].status.state).toBe('printing');
    expect(next[0]).toBe(items[0]);
  });
  it('says so when the printer is not in the list', () => {
    const items = [printer(1)];
    const result = applyStatus(items, { id: 9, name: 'P9', connected: true, state: 'idle' });
    expect(result.known).toBe(false);
    expect(result.items).toBe(items);
  });
});

describe('LiveFeed', () => {
  it('opens the stream with a token and passes status events on', async () => {
    const h = harness([() => Promise.resolve('bbst_abc')]);
    h.feed.start();
    await settle();
    expect(h.streams[0].url).toBe('/api/v1/events/stream?status=1&token=bbst_abc');
    h.streams[0].onopen?.(new Event('open'));
    expect(h.modes.at(-1)).toBe('live');
    h.streams[0].emit('status', { id: 3, name: 'P3', connected: true, state: 'paused' });
    expect(h.statuses).toEqual([{ id: 3, name: 'P3', connected: true, state: 'paused' }]);
  });

  it('falls back to polling and retries with a new token and a growing pause', async () => {
    const h = harness([() => Promise.resolve('t1'), () => Promise.resolve('t2'), () => Promise.reject(new Error('down'))]);
    h.feed.start();
    await settle();
    h.streams[0].onerror?.(new Event('error'));
    expect(h.streams[0].closed).toBe(true);
    expect(h.modes.at(-1)).toBe('polling');
    expect(h.timers[0].ms).toBe(FIRST_RETRY_MS);
    h.timers[0].fn();
    await settle();
    expect(h.streams[1].url).toContain('token=t2');
    h.streams[1].emit('overflow', { reason: 'client_too_slow' });
    expect(h.timers[1].ms).toBe(FIRST_RETRY_MS * 2);
    h.timers[1].fn();
    await settle(); // the token request fails: polling goes on, the next pause is longer
    expect(h.streams.length).toBe(2);
    expect(h.timers[2].ms).toBe(FIRST_RETRY_MS * 4);
    for (let i = 0; i < 10; i++) h.feed['retryLater']();
    expect(h.timers.at(-1)?.ms).toBe(MAX_RETRY_MS);
  });

  it('ignores a stream it has stopped', async () => {
    const h = harness([() => Promise.resolve('t')]);
    h.feed.start();
    await settle();
    h.feed.stop();
    expect(h.streams[0].closed).toBe(true);
    h.streams[0].emit('status', { id: 1, name: 'P1', connected: true, state: 'idle' });
    expect(h.statuses).toEqual([]);
  });
});
