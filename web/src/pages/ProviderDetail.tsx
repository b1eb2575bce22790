import { useState } from 'preact/hooks';
import { api, query, type ListAnswer } from '../lib/api';
import { formatDateTime } from '../lib/format';
import { useAction, useLoad } from '../lib/hooks';
import { useCan } from '../lib/me';
import { sendTest } from '../lib/sendTest';
import type { Delivery, Provider } from '../lib/types';
import { DataTable, EnabledBadge } from '../components/DataTable';
import { DeliveryResultDialog, DeliveryStatus } from '../components/Deliveries';
import { ErrorBanner, Notice } from '../components/ErrorBanner';
import { Field, Options } from '../components/Form';
import { typeName } from '../components/ProviderForm';
import { Pager } from '../components/Pager';
import { RotateDialog } from '../components/RotateDialog';
import { SigningSecretDialog } from '../components/SecretDialog';

const PAGE = 25;
const STATUSES = ['pending', 'retrying', 'delivered', 'failed', 'suppressed', 'cancelled'];
const FINISHED = new Set(['delivered', 'failed', 'suppressed', 'cancelled']);

// One provider: its settings at a glance, test, secret rotation and the delivery log with redeliver.
export function ProviderDetail({ id }: { id: number }) {
  const canWrite = useCan('settings:write');
  const [status, setStatus] = useState('');
  const [offset, setOffset] = useState(0);
  const provider = useLoad((signal) => api<Provider>(`/notifications/${id}`, { signal }), [id]);
  const log = useLoad(
    (signal) =>
      api<ListAnswer<Delivery>>(`/notifications/${id}/deliveries${query({ status, limit: PAGE, offset })}`, { signal }),
    [id, status, offset],
  );
  const action = useAction();
  const [notice, setNotice] = useState<string | null>(null);
  const [tested, setTested] = useState<Delivery | null>(null);
  const [rotating, setRotating] = useState(false);
  const [secret, setSecret] = useState<string | null>(null);
  const [open, setOpen] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);

  const p = provider.data;
  const test = async () => {
    setBusy(true);
    await action.run(async () => {
      setTested(await sendTest(id));
      setOffset(0);
      await log.reload();
    });
    setBusy(false);
  };
  const redeliver = (d: Delivery) => {
    setNotice(null);
    return action.run(async () => {
      const again = await api<Delivery>(`/notifications/deliveries/${d.id}/redeliver`, { method: 'POST' });
      setNotice(`Delivery ${d.id} sent again as delivery ${again.id} (${again.status}).`);
      setOffset(0);
      await log.reload();
    });
  };

  return (
    <section>
      <p class="crumb">
        <a href="#/settings/notifications">Settings › Notifications</a> ›
      </p>
      <div class="page-head">
        <h1>{p ? p.name : `Provider ${id}`}</h1>
        <div class="actions actions-left">
          <button type="button" class="btn" disabled={!canWrite || busy || !p} onClick={test}>
            {busy ? 'Testing…' : 'Send test'}
          </button>
          {p?.type === 'webhook' && canWrite && p.source === 'api' && (
            <button type="button" class="btn" onClick={() => setRotating(true)}>
              Rotate signing secret
            </button>
          )}
          <button type="button" class="btn" onClick={() => void log.reload()}>
            Refresh
          </button>
        </div>
      </div>
      <ErrorBanner error={provider.error} />
      <ErrorBanner error={action.error} onDismiss={() => action.setError(null)} />
      {notice && <Notice kind="success">{notice}</Notice>}
      {p && (
        <dl class="facts facts-wide card">
          <div>
            <dt>Type</dt>
            <dd>{typeName(p.type)}</dd>
          </div>
          <div>
            <dt>Status</dt>
            <dd>
              <EnabledBadge enabled={p.enabled} />
              {p.disabled_reason && <span class="problem small"> {p.disabled_reason}</span>}
            </dd>
          </div>
          <div>
            <dt>Events</dt>
            <dd>{p.events === null ? 'All events' : p.events.join(', ')}</dd>
          </div>
          <div>
            <dt>Printers</dt>
            <dd>{p.printer_ids === null ? 'All printers' : p.printer_ids.map((x) => `#${x}`).join(', ') || 'none'}</dd>
          </div>
          <div>
            <dt>Quiet hours</dt>
            <dd>{p.quiet_hours ? `${p.quiet_hours.start}–${p.quiet_hours.end} ${p.quiet_hours.timezone ?? 'UTC'}` : 'none'}</dd>
          </div>
          {typeof p.settings.url === 'string' && (
            <div>
              <dt>Endpoint URL</dt>
              <dd class="mono ellipsis">{p.settings.url}</dd>
            </div>
          )}
          {p.problem && (
            <div>
              <dt>Problem</dt>
              <dd class="problem">{p.problem}</dd>
            </div>
          )}
        </dl>
      )}
      <h2>Delivery log</h2>
      <div class="filters">
        <Field label="Status">
          <select
            value={status}
            onChange={(e) => {
              setStatus((e.currentTarget as HTMLSelectElement).value);
              setOffset(0);
            }}
          >
            <option value="">All</option>
            <Options values={STATUSES} />
          </select>
        </Field>
      </div>
      <ErrorBanner error={log.error} />
      {log.data && log.data.items.length === 0 && <p class="empty">No deliveries{status ? ` with status ${status}` : ''}.</p>}
      {log.data && log.data.items.length > 0 && (
        <DataTable caption="Deliveries" columns={['#', 'Event', 'Status', 'Attempts', 'HTTP', 'Time']} actions>
          {log.data.items.map((d) => (
            <DeliveryRow
              key={d.id}
              delivery={d}
              open={open === d.id}
              canRedeliver={canWrite && FINISHED.has(d.status) && (p?.enabled ?? false)}
              onToggle={() => setOpen(open === d.id ? null : d.id)}
              onRedeliver={() => redeliver(d)}
            />
          ))}
        </DataTable>
      )}
      {log.data && <Pager total={log.data.total} offset={offset} page={PAGE} onOffset={setOffset} />}
      {tested && <DeliveryResultDialog title="Test result" delivery={tested} onClose={() => setTested(null)} />}
      {rotating && p && (
        <RotateSecretDialog
          provider={p}
          onClose={() => setRotating(false)}
          onRotated={(s) => {
            setRotating(false);
            setSecret(s);
          }}
        />
      )}
      {secret && p && (
        <SigningSecretDialog title={`New signing secret of “${p.name}”`} secret={secret} onClose={() => setSecret(null)} />
      )}
    </section>
  );
}

function DeliveryRow({
  delivery: d,
  open,
  canRedeliver,
  onToggle,
  onRedeliver,
}: {
  delivery: Delivery;
  open: boolean;
  canRedeliver: boolean;
  onToggle: () => void;
  onRedeliver: () => void;
}) {
  return (
    <>
      <tr>
        <td data-label="#">{d.id}</td>
        <td data-label="Event" class="mono">
          {d.event}
          {d.redelivery_of !== null && <span class="muted small"> (again: #{d.redelivery_of})</span>}
        </td>
        <td data-label="Status">
          <DeliveryStatus status={d.status} />
          {d.error && <div class="problem small">{d.error}</div>}
        </td>
        <td data-label="Attempts">{d.attempts}</td>
        <td data-label="HTTP">{d.http_status ?? '—'}</td>
        <td data-label="Time" class="nowrap">
          {formatDateTime(d.created_at)}
        </td>
        <td class="row-actions">
          <button type="button" class="btn btn-small" aria-expanded={open} aria-label={`Details of delivery ${d.id}`} onClick={onToggle}>
            Details
          </button>
          {canRedeliver && (
            <button type="button" class="btn btn-small" aria-label={`Redeliver delivery ${d.id}`} onClick={onRedeliver}>
              Redeliver
            </button>
          )}
        </td>
      </tr>
      {open && (
        <tr class="detail-row">
          <td colSpan={7}>
            {d.response_snippet && (
              <p>
                Receiver answered: <span class="mono">{d.response_snippet}</span>
              </p>
            )}
            {d.next_attempt_at && <p>Next attempt: {formatDateTime(d.next_attempt_at)}</p>}
            <ol class="history">
              {(d.history ?? []).map((h) => (
                <li key={h.attempt}>
                  Attempt {h.attempt} at {formatDateTime(h.at)}: {h.outcome}
                  {h.http_status ? `, HTTP ${h.http_status}` : ''}
                  {h.duration_ms !== undefined ? `, ${h.duration_ms} ms` : ''}
                  {h.error ? ` — ${h.error}` : ''}
                </li>
              ))}
            </ol>
          </td>
        </tr>
      )}
    </>
  );
}

function RotateSecretDialog({
  provider,
  onClose,
  onRotated,
}: {
  provider: Provider;
  onClose: () => void;
  onRotated: (secret: string) => void;
}) {
  return (
    <RotateDialog
      title={`Rotate the signing secret of “${provider.name}”`}
      noneLabel="None: only the new secret signs"
      submitLabel="Rotate secret"
      onClose={onClose}
      rotate={async (grace) => {
        const answer = await api<{ secret: string }>(`/notifications/${provider.id}/rotate-secret`, {
          method: 'POST',
          body: { grace_period_s: grace },
        });
        onRotated(answer.secret);
      }}
    >
      <p>During the grace period every request carries two signatures, one per secret, so the receiver can switch at its pace.</p>
    </RotateDialog>
  );
}
