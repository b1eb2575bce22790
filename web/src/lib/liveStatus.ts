// The dashboard's live printer status: GET /api/v1/events/stream?status=1, opened with a
// single-use token from POST /api/v1/auth/stream-token (a browser's EventSource cannot send the
// key header). While the stream is down the dashboard polls; the stream is retried with a growing
// pause. Browser objects come in through LiveFeedDeps so the logic runs under test without them.
import type { PrinterStatus, PrinterSummary } from './types';

export type FeedMode = 'connecting' | 'live' | 'polling';

// What the feed needs of an EventSource.
export interface StreamLike {
  onopen: ((event: Event) => void) | null;
  onerror: ((event: Event) => void) | null;
  addEventListener(type: string, listener: (event: MessageEvent) => void): void;
  close(): void;
}

export interface LiveFeedDeps {
  token: () => Promise<string>;
  open: (url: string) => StreamLike;
  onStatus: (status: PrinterStatus) => void;
  onMode: (mode: FeedMode) => void;
  setTimer: (fn: () => void, ms: number) => unknown;
  clearTimer: (timer: unknown) => void;
}

export const FIRST_RETRY_MS = 5000;
export const MAX_RETRY_MS = 60000;

// The printers with `status` put in place of the one they had; `known` is false when no printer of
// the list has its id (a printer added since the list was loaded).
export function applyStatus(items: PrinterSummary[], status: PrinterStatus): { items: PrinterSummary[]; known: boolean } {
  let known = false;
  const next = items.map((p) => {
    if (p.id !== status.id) return p;
    known = true;
    return { ...p, name: status.name ?? p.name, status };
  });
  return { items: known ? next : items, known };
}

export class LiveFeed {
  private stream: StreamLike | null = null;
  private timer: unknown = null;
  private retryMs = FIRST_RETRY_MS;
  private stopped = false;
  private attempt = 0;

  constructor(private readonly deps: LiveFeedDeps) {}

  start(): void {
    this.stopped = false;
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.attempt++;
    this.stream?.close();
    this.stream = null;
    if (this.timer !== null) this.deps.clearTimer(this.timer);
    this.timer = null;
  }

  private async connect(): Promise<void> {
    const attempt = ++this.attempt;
    this.deps.onMode(this.stream === null && this.retryMs === FIRST_RETRY_MS ? 'connecting' : 'polling');
    let token: string;
    try {
      token = await this.deps.token();
    } catch {
      if (attempt === this.attempt) this.retryLater();
      return;
    }
    if (this.stopped || attempt !== this.attempt) return;
    const stream = this.deps.open(`/api/v1/events/stream?status=1&token=${encodeURIComponent(token)}`);
    this.stream = stream;
    stream.onopen = () => {
      if (this.stream !== stream) return;
      this.retryMs = FIRST_RETRY_MS;
      this.deps.onMode('live');
    };
    stream.addEventListener('status', (event: MessageEvent) => {
      if (this.stream !== stream) return;
      try {
        const status = JSON.parse(String(event.data)) as PrinterStatus;
        if (typeof status.id === 'number') this.deps.onStatus(status);
      } catch {
        // not JSON: ignore this frame, the next one replaces it anyway
      }
    });
    // The server dropped a client too slow for it, or the token's reconnect was refused: either
    // way this stream is done, and a new one needs a new token.
    const fail = () => {
      if (this.stream !== stream) return;
      stream.close();
      this.stream = null;
      this.retryLater();
    };
    stream.addEventListener('overflow', fail);
    stream.onerror = fail;
  }

  private retryLater(): void {
    if (this.stopped) return;
    this.deps.onMode('polling');
    const wait = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
    this.timer = this.deps.setTimer(() => {
      this.timer = null;
      void this.connect();
    }, wait);
  }
}
