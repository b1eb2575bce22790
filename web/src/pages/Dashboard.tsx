import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type ListAnswer } from '../lib/api';
import { clampPercent, formatDuration, formatPercent, formatTemperature, stateLabel, formatAgo } from '../lib/format';
import { usePolling } from '../lib/hooks';
import { applyStatus, LiveFeed, type FeedMode } from '../lib/liveStatus';
import { useCan } from '../lib/me';
import { transferView } from '../lib/printJob';
import type { PrinterError, PrinterStatus, PrinterSummary, PrinterTransfer } from '../lib/types';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { ErrorBanner } from '../components/ErrorBanner';

const POLL_MS = 3000;
// With the event stream up, status comes as it changes; a slow poll still picks up printers added,
// renamed or removed.
const LIVE_POLL_MS = 60000;

type Action = 'pause' | 'resume' | 'stop' | 'plate-cleared';

const actionPath = (id: number, action: Action) =>
  action === 'plate-cleared' ? `/printers/${id}/plate-cleared` : `/printers/${id}/print/${action}`;

// Every printer with its live state: pushed by the event stream, polled every few seconds while
// the stream is down.
export function Dashboard() {
  const [mode, setMode] = useState<FeedMode>('connecting');
  const printers = usePolling(
    (signal) => api<ListAnswer<PrinterSummary>>('/printers?limit=1000', { signal }),
    mode === 'live' ? LIVE_POLL_MS : POLL_MS,
    [],
  );
  // Statuses pushed since the last poll; a poll's answer is newer and replaces them.
  const [pushed, setPushed] = useState<PrinterSummary[] | null>(null);
  useEffect(() => setPushed(null), [printers.data]);
  const reload = printers.reload;
  const polled = useRef<PrinterSummary[]>([]);
  polled.current = printers.data?.items ?? [];
  useEffect(() => {
    const feed = new LiveFeed({
      token: async () => (await api<{ token: string }>('/auth/stream-token', { method: 'POST' })).token,
      open: (url) => new EventSource(url),
      onStatus: (status) =>
        setPushed((current) => {
          const base = current ?? polled.current;
          const { items, known } = applyStatus(base, status);
          if (!known) void reload(); // a printer this list does not have yet
          return items;
        }),
      onMode: setMode,
      setTimer: (fn, ms) => window.setTimeout(fn, ms),
      clearTimer: (timer) => window.clearTimeout(timer as number),
    });
    feed.start();
    return () => feed.stop();
    // One feed for the page's life; it reads the latest list through `polled`.
  }, []);
  const canControl = useCan('printers:control');
  const [actionError, setActionError] = useState<unknown>(null);
  const [confirmStop, setConfirmStop] = useState<PrinterSummary | null>(null);
  const [busy, setBusy] = useState<Record<number, boolean>>({});

  const act = async (printer: PrinterSummary, action: Action) => {
    setBusy((b) => ({ ...b, [printer.id]: true }));
    setActionError(null);
    try {
      await api(actionPath(printer.id, action), { method: 'POST' });
      await printers.reload();
    } catch (e) {
      setActionError(e);
      throw e;
    } finally {
      setBusy((b) => ({ ...b, [printer.id]: false }));
    }
  };

  const items = pushed ?? printers.data?.items ?? [];
  return (
    <section>
      <div class="page-head">
        <h1>Dashboard</h1>
        <p class="muted" aria-live="off">
          {printers.data
            ? `${items.length} printer${items.length === 1 ? '' : 's'} · ${mode === 'live' ? 'live' : 'updates every 3 s'}`
            : ''}
        </p>
      </div>
      <ErrorBanner error={printers.error} />
      <ErrorBanner error={actionError} onDismiss={() => setActionError(null)} />
      {!printers.data && !printers.error && <p>Loading printers…</p>}
      {printers.data && items.length === 0 && (
        <p class="empty">
          No printers yet. An admin adds them under <a href="#/settings/printers">Settings › Printers</a> or in
          bambuddy.yaml.
        </p>
      )}
      <div class="printer-grid">
        {items.map((p) => (
          <PrinterCard
            key={p.id}
            printer={p}
            canControl={canControl}
            busy={busy[p.id] === true}
            onAction={(a) => (a === 'stop' ? setConfirmStop(p) : act(p, a).catch(() => undefined))}
          />
        ))}
      </div>
      {confirmStop && (
        <ConfirmDialog
          title="Stop the print?"
          confirmLabel="Stop print"
          onConfirm={() => act(confirmStop, 'stop')}
          onClose={() => setConfirmStop(null)}
        >
          <p>
            Stop the print on <strong>{confirmStop.name}</strong>
            {confirmStop.status.current_print?.filename ? ` (${confirmStop.status.current_print.filename})` : ''}? A
            stopped print cannot be resumed.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}

function PrinterCard({
  printer,
  canControl,
  busy,
  onAction,
}: {
  printer: PrinterSummary;
  canControl: boolean;
  busy: boolean;
  onAction: (action: Action) => void;
}) {
  const s: PrinterStatus = printer.status;
  const active = s.state === 'printing' || s.state === 'preparing' || s.state === 'paused';
  const t = s.temperatures ?? {};
  const progress = clampPercent(s.progress);
  const headingId = `printer-${printer.id}-name`;
  return (
    <article class="card printer-card" aria-labelledby={headingId}>
      <div class="printer-head">
        <h2 id={headingId}>{printer.name}</h2>
        <span class={`badge state-${s.state}`} data-testid="printer-state">
          {stateLabel(s.state)}
        </span>
      </div>
      <p class="muted small">
        {printer.model ?? printer.driver}
        {s.connected ? '' : ' · not connected'}
      </p>
      <dl class="facts">
        <div>
          <dt>File</dt>
          <dd class="ellipsis">{s.current_print?.filename ?? '—'}</dd>
        </div>
        <div>
          <dt>Progress</dt>
          <dd>{active || s.state === 'finished' ? formatPercent(s.progress) : '—'}</dd>
        </div>
        <div>
          <dt>Remaining</dt>
          <dd>{active ? formatDuration(s.remaining_time) : '—'}</dd>
        </div>
        <div>
          <dt>Layer</dt>
          <dd>{s.layer !== null && s.layer !== undefined && s.total_layers ? `${s.layer} / ${s.total_layers}` : '—'}</dd>
        </div>
        <div>
          <dt>Nozzle</dt>
          <dd>{formatTemperature(t.nozzle ?? s.temperature, t.nozzle_target)}</dd>
        </div>
        <div>
          <dt>Bed</dt>
          <dd>{formatTemperature(t.bed, t.bed_target)}</dd>
        </div>
        {t.chamber !== undefined && (
          <div>
            <dt>Chamber</dt>
            <dd>{formatTemperature(t.chamber)}</dd>
          </div>
        )}
        <div>
          <dt>Updated</dt>
          <dd>{formatAgo(s.updated_at)}</dd>
        </div>
      </dl>
      {s.transfer && <Transfer transfer={s.transfer} printerName={printer.name} />}
      <div
        class="progress"
        role="progressbar"
        aria-label={`Progress of ${printer.name}`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(progress)}
      >
        <div class={`progress-fill state-${s.state}`} style={{ width: `${active || s.state === 'finished' ? progress : 0}%` }} />
      </div>
      {s.connection_error && <p class="problem">Connection: {s.connection_error}</p>}
      {s.print_error && <p class="problem">Print error {s.print_error}</p>}
      {s.errors && s.errors.length > 0 && <Messages items={s.errors} label={`Errors on ${printer.name}`} fallback="error" />}
      {s.notices && s.notices.length > 0 && (
        <Messages items={s.notices} label={`Notices on ${printer.name}`} fallback="notice" muted />
      )}
      {s.awaiting_plate_clear && (
        <div class="plate-note" role="status">
          <p>
            <strong>Print finished — clear the bed.</strong>{' '}
            <span class="muted small">The queue waits until someone confirms the bed is clear.</span>
          </p>
          {canControl && (
            <button
              type="button"
              class="btn btn-primary btn-small"
              disabled={busy}
              aria-label={`Plate is clear on ${printer.name}`}
              onClick={() => onAction('plate-cleared')}
            >
              Plate is clear
            </button>
          )}
        </div>
      )}
      {canControl && (
        <div class="actions actions-left">
          {s.state === 'paused' ? (
            <button type="button" class="btn" disabled={busy} aria-label={`Resume ${printer.name}`} onClick={() => onAction('resume')}>
              Resume
            </button>
          ) : (
            <button
              type="button"
              class="btn"
              disabled={busy || s.state !== 'printing'}
              aria-label={`Pause ${printer.name}`}
              onClick={() => onAction('pause')}
            >
              Pause
            </button>
          )}
          <button
            type="button"
            class="btn btn-danger-outline"
            disabled={busy || !active}
            aria-label={`Stop ${printer.name}`}
            onClick={() => onAction('stop')}
          >
            Stop
          </button>
        </div>
      )}
    </article>
  );
}

// The print's file on its way to the printer: what happens and how far, as a progress bar.
function Transfer({ transfer, printerName }: { transfer: PrinterTransfer; printerName: string }) {
  const view = transferView(transfer);
  return (
    <div class="transfer" data-testid="transfer">
      <p class="small">{view.text}</p>
      <div
        class="progress progress-thin"
        role="progressbar"
        aria-label={`Upload to ${printerName}`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={view.percent === null ? undefined : Math.round(view.percent)}
        aria-valuetext={view.text}
      >
        <div
          class={view.percent === null ? 'progress-fill progress-indeterminate' : 'progress-fill'}
          style={view.percent === null ? undefined : { width: `${view.percent}%` }}
        />
      </div>
    </div>
  );
}

// The printer's errors (HMS codes with severity), or its notices below them, muted.
function Messages({ items, label, fallback, muted = false }: { items: PrinterError[]; label: string; fallback: string; muted?: boolean }) {
  return (
    <ul class={muted ? 'problems problems-muted' : 'problems'} aria-label={label}>
      {items.map((e, i) => (
        <li key={`${e.code}-${i}`}>
          <span class={`badge sev-${e.severity ?? 'unknown'}`}>{e.severity ?? fallback}</span> <span class="mono">{e.code}</span>{' '}
          {e.message}
        </li>
      ))}
    </ul>
  );
}
