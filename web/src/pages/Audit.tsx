import { useState } from 'preact/hooks';
import { api, query, type ListAnswer } from '../lib/api';
import { formatDateTime } from '../lib/format';
import { useLoad } from '../lib/hooks';
import type { AuditEntry } from '../lib/types';
import { ErrorBanner } from '../components/ErrorBanner';
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
  const empty: Filters = { kind: '', client_ip: '', principal_id: '', since: '', until: '' };
  const [filters, setFilters] = useState<Filters>(empty);
  const [applied, setApplied] = useState<Filters>(empty);
  const [offset, setOffset] = useState(0);
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
  const set = (k: keyof Filters) => (e: Event) => setFilters({ ...filters, [k]: (e.currentTarget as HTMLInputElement).value });
  return (
    <section>
      <div class="page-head">
        <h1>Audit log</h1>
        <button type="button" class="btn" onClick={() => void log.reload()}>
          Refresh
        </button>
      </div>
      <p class="muted">API key changes and refused requests (401, 403, 429), newest first.</p>
      <form
        class="filters"
        aria-label="Filter the audit log"
        onSubmit={(e) => {
          e.preventDefault();
          setOffset(0);
          setApplied({ ...filters });
        }}
      >
        <label class="field">
          <span>Kind</span>
          <select value={filters.kind} onChange={set('kind')}>
            <option value="">Any</option>
            {AUDIT_KINDS.map((k) => (
              <option key={k.kind} value={k.kind}>
                {k.label}
              </option>
            ))}
          </select>
        </label>
        <label class="field">
          <span>Client address</span>
          <input type="text" value={filters.client_ip} placeholder="127.0.0.1" onInput={set('client_ip')} />
        </label>
        <label class="field">
          <span>Principal</span>
          <input type="text" value={filters.principal_id} placeholder="key:1" onInput={set('principal_id')} />
        </label>
        <label class="field">
          <span>From</span>
          <input type="datetime-local" value={filters.since} onInput={set('since')} />
        </label>
        <label class="field">
          <span>Until</span>
          <input type="datetime-local" value={filters.until} onInput={set('until')} />
        </label>
        <div class="filter-actions">
          <button type="submit" class="btn btn-primary">
            Apply
          </button>
        </div>
      </form>
      <ErrorBanner error={log.error} />
      {log.data && log.data.items.length === 0 && <p class="empty">No entries.</p>}
      {log.data && log.data.items.length > 0 && (
        <div class="table-wrap">
          <table class="table">
            <caption class="sr-only">Audit entries</caption>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Kind</th>
                <th scope="col">Who</th>
                <th scope="col">From</th>
                <th scope="col">Request</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
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
            </tbody>
          </table>
        </div>
      )}
      {log.data && log.data.total > PAGE && <Pager total={log.data.total} offset={offset} page={PAGE} onOffset={setOffset} />}
    </section>
  );
}
