import { useState } from 'preact/hooks';
import { api, type ListAnswer } from '../lib/api';
import { clampPercent, formatDuration, formatPercent, formatTemperature, stateLabel, formatAgo } from '../lib/format';
import { usePolling } from '../lib/hooks';
import { useCan } from '../lib/me';
import type { PrinterStatus, PrinterSummary } from '../lib/types';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { ErrorBanner } from '../components/ErrorBanner';

const POLL_MS = 3000;

type Action = 'pause' | 'resume' | 'stop';

// Every printer with its live state, refreshed every few seconds in place.
export function Dashboard() {
  const printers = usePolling((signal) => api<ListAnswer<PrinterSummary>>('/printers?limit=1000', { signal }), POLL_MS, []);
  const canControl = useCan('printers:control');
  const [actionError, setActionError] = useState<unknown>(null);
  const [confirmStop, setConfirmStop] = useState<PrinterSummary | null>(null);
  const [busy, setBusy] = useState<Record<number, boolean>>({});

  const act = async (printer: PrinterSummary, action: Action) => {
    setBusy((b) => ({ ...b, [printer.id]: true }));
    setActionError(null);
    try {
      await api(`/printers/${printer.id}/print/${action}`, { method: 'POST' });
      await printers.reload();
    } catch (e) {
      setActionError(e);
      throw e;
    } finally {
      setBusy((b) => ({ ...b, [printer.id]: false }));
    }
  };

  const items = printers.data?.items ?? [];
  return (
    <section>
      <div class="page-head">
        <h1>Dashboard</h1>
        <p class="muted" aria-live="off">
          {printers.data ? `${items.length} printer${items.length === 1 ? '' : 's'} · updates every 3 s` : ''}
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
      {s.errors && s.errors.length > 0 && (
        <ul class="problems" aria-label={`Errors on ${printer.name}`}>
          {s.errors.map((e) => (
            <li key={e.code}>
              <span class={`badge sev-${e.severity ?? 'unknown'}`}>{e.severity ?? 'error'}</span>{' '}
              <span class="mono">{e.code}</span> {e.message}
            </li>
          ))}
        </ul>
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
