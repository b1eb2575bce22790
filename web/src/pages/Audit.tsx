import { api, query, type ListAnswer } from '../lib/api';
import { formatDateTime } from '../lib/format';
import { useFilterForm, useLoad } from '../lib/hooks';
import type { AuditEntry } from '../lib/types';
import { DataTable } from '../components/DataTable';
import { ErrorBanner } from '../components/ErrorBanner';
import { Field, FilterForm, PeriodFields } from '../components/Form';
import { Pager } from '../components/Pager';

const PAGE = 50;

export const AUDIT_KINDS: { kind: string; label: string }[] = [
  { kind: 'key_created', label: 'Key created' },
  { kind: 'key_changed', label: 'Key changed' },
  { kind: 'key_rotated', label: 'Key rotated' },
  { kind: 'key_deleted', label: 'Key deleted' },
  { kind: 'auth_failed', label: 'Sign-in refused (401)' },
  { kind: 'forbidden', label: 'Not allowed (403)' },
  { kind: 'rate_limited', label: 'Rate limited (429)' },
  { kind: 'provider_created', label: 'Provider added' },
  { kind: 'provider_changed', label: 'Provider changed' },
  { kind: 'provider_tested', label: 'Provider tested' },
  { kind: 'provider_deleted', label: 'Provider removed' },
  { kind: 'printer_created', label: 'Printer added' },
  { kind: 'printer_changed', label: 'Printer changed' },
  { kind: 'printer_deleted', label: 'Printer removed' },
  { kind: 'printer_checked', label: 'Printer connection checked' },
  { kind: 'settings_changed', label: 'Settings changed' },
];

function kindLabel(kind: string): string {
  return AUDIT_KINDS.find((k) => k.kind === kind)?.label ?? kind;
}

interface Filters {
  kind: string;
  client_ip: string;
  principal_id: string;
  since: string;
  until: string;
}

function detailText(e: AuditEntry): string {
  const d = e.detail ?? {};
  const parts: string[] = [];
  if (typeof d.key_name === 'string') parts.push(`key “${d.key_name}”`);
  if (Array.isArray(d.changes) && d.changes.length) parts.push(`changed: ${d.changes.join(', ')}`);
  if (typeof d.grace_period_s === 'number') parts.push(`grace ${d.grace_period_s} s`);
  if (typeof d.required === 'string') parts.push(`needed ${d.required}`);
  for (const [k, v] of Object.entries(d)) {
    if (['key_name', 'changes', 'grace_period_s', 'required', 'key_id'].includes(k)) continue;
    parts.push(`${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
  }
  return parts.join(' · ');
}

// The audit log (admin): key changes and refused requests.
export function Audit() {
  const { filters, set, applied, apply, offset, setOffset } = useFilterForm<Filters>({
    kind: '',
    client_ip: '',
    principal_id: '',
    since: '',
    until: '',
  });
  const log = useLoad(
    (signal) =>
      api<ListAnswer<AuditEntry>>(
        `/audit${query({
          kind: applied.kind,
          client_ip: applied.client_ip.trim(),
          principal_id: applied.principal_id.trim(),
          since: applied.since ? new Date(applied.since).toISOString() : null,
          until: applied.until ? new Date(applied.until).toISOString() : null,
          limit: PAGE,
          offset,
        })}`,
        { signal },
      ),
    [applied, offset],
  );
  return (
    <section>
      <div class="page-head">
        <h1>Audit log</h1>
        <button type="button" class="btn" onClick={() => void log.reload()}>
          Refresh
        </button>
      </div>
      <p class="muted">API key changes and refused requests (401, 403, 429), newest first.</p>
      <FilterForm label="Filter the audit log" onSubmit={apply}>
        <Field label="Kind">
          <select value={filters.kind} onChange={set('kind')}>
            <option value="">Any</option>
            {AUDIT_KINDS.map((k) => (
              <option key={k.kind} value={k.kind}>
                {k.label}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Client address">
          <input type="text" value={filters.client_ip} placeholder="127.0.0.1" onInput={set('client_ip')} />
        </Field>
        <Field label="Principal">
          <input type="text" value={filters.principal_id} placeholder="key:1" onInput={set('principal_id')} />
        </Field>
        <PeriodFields
          type="datetime-local"
          since={filters.since}
          until={filters.until}
          onSince={set('since')}
          onUntil={set('until')}
        />
      </FilterForm>
      <ErrorBanner error={log.error} />
      {log.data && log.data.items.length === 0 && <p class="empty">No entries.</p>}
      {log.data && log.data.items.length > 0 && (
        <DataTable caption="Audit entries" columns={['Time', 'Kind', 'Who', 'From', 'Request', 'Details']}>
          {log.data.items.map((e) => (
            <tr key={e.id}>
              <td data-label="Time" class="nowrap">
                {formatDateTime(e.at)}
              </td>
              <td data-label="Kind">
                <span class={e.kind.startsWith('key_') ? 'badge badge-info' : 'badge badge-warn'}>{kindLabel(e.kind)}</span>
              </td>
              <td data-label="Who">
                {e.principal_name ?? '—'}
                {e.key_prefix && <span class="muted small mono"> {e.key_prefix}…</span>}
              </td>
              <td data-label="From" class="mono">
                {e.client_ip ?? '—'}
              </td>
              <td data-label="Request" class="mono small">
                {[e.method, e.path].filter(Boolean).join(' ') || '—'}
              </td>
              <td data-label="Details">
                {e.reason && <div>{e.reason}</div>}
                <div class="muted small">{detailText(e)}</div>
              </td>
            </tr>
          ))}
        </DataTable>
      )}
      {log.data && <Pager total={log.data.total} offset={offset} page={PAGE} onOffset={setOffset} />}
    </section>
  );
}
