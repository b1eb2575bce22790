import { useState } from 'preact/hooks';
import { api, type ListAnswer } from '../lib/api';
import { formatAgo, formatDateTime } from '../lib/format';
import { useAction, useLoad } from '../lib/hooks';
import { useCan } from '../lib/me';
import { sendTest } from '../lib/sendTest';
import type { Delivery, EventInfo, PrinterSummary, Provider, ProviderType } from '../lib/types';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { DataTable, EnabledBadge } from '../components/DataTable';
import { ErrorBanner } from '../components/ErrorBanner';
import { DeliveryResultDialog, DeliveryStatus } from '../components/Deliveries';
import { Modal } from '../components/Modal';
import { ProviderForm, typeName } from '../components/ProviderForm';
import { SigningSecretDialog } from '../components/SecretDialog';

interface Catalog {
  types: ProviderType[];
  events: EventInfo[];
  printers: PrinterSummary[] | null;
}

// Everything the provider forms need, loaded once per screen.
export async function loadCatalog(canReadPrinters: boolean, signal: AbortSignal): Promise<Catalog> {
  const [types, events, printers] = await Promise.all([
    api<ListAnswer<ProviderType>>('/notifications/types', { signal }),
    api<ListAnswer<EventInfo>>('/notifications/events', { signal }),
    canReadPrinters ? api<ListAnswer<PrinterSummary>>('/printers?limit=1000', { signal }) : Promise.resolve(null),
  ]);
  return { types: types.items, events: events.items, printers: printers ? printers.items : null };
}

interface Row {
  provider: Provider;
  last: Delivery | null;
}

// Settings > Notifications: providers with their last delivery; add, edit, test, enable, delete.
export function Notifications() {
  const canWrite = useCan('settings:write');
  const canReadPrinters = useCan('printers:read');
  const catalog = useLoad((signal) => loadCatalog(canReadPrinters, signal), []);
  const rows = useLoad(async (signal): Promise<Row[]> => {
    const list = await api<ListAnswer<Provider>>('/notifications?limit=1000', { signal });
    // The last delivery of each provider: one small request per provider (the list has no such field).
    return Promise.all(
      list.items.map(async (provider) => {
        const d = await api<ListAnswer<Delivery>>(`/notifications/${provider.id}/deliveries?limit=1`, { signal });
        return { provider, last: d.items[0] ?? null };
      }),
    );
  }, []);
  const [adding, setAdding] = useState<ProviderType | null>(null);
  const [choosing, setChoosing] = useState(false);
  const [editing, setEditing] = useState<Provider | null>(null);
  const [deleting, setDeleting] = useState<Provider | null>(null);
  const [secret, setSecret] = useState<{ name: string; value: string } | null>(null);
  const [tested, setTested] = useState<{ provider: Provider; delivery: Delivery } | null>(null);
  const [testing, setTesting] = useState<number | null>(null);
  const action = useAction();

  const typeOf = (p: Provider) => catalog.data?.types.find((t) => t.type === p.type) ?? null;
  const eventDescription = (name: string) => catalog.data?.events.find((e) => e.event === name)?.description ?? '';

  const test = async (p: Provider) => {
    setTesting(p.id);
    await action.run(async () => {
      const delivery = await sendTest(p.id);
      setTested({ provider: p, delivery });
      await rows.reload();
    });
    setTesting(null);
  };

  const toggle = (p: Provider) =>
    action.run(async () => {
      await api(`/notifications/${p.id}`, { method: 'PATCH', body: { enabled: !p.enabled } });
      await rows.reload();
    });

  return (
    <section>
      <div class="page-head">
        <h1>
          <span class="crumb">Settings › </span>Notifications
        </h1>
        {canWrite && (
          <button type="button" class="btn btn-primary" disabled={!catalog.data} onClick={() => setChoosing(true)}>
            Add provider
          </button>
        )}
      </div>
      <p class="muted">
        Providers send events (print finished, printer error, …) to other places: a Webhook to Home Assistant or
        Node-RED, an ntfy push to your phone, an e-mail.
      </p>
      <ErrorBanner error={catalog.error} />
      <ErrorBanner error={rows.error} />
      <ErrorBanner error={action.error} onDismiss={() => action.setError(null)} />
      {rows.data && rows.data.length === 0 && <p class="empty">No providers yet.</p>}
      {rows.data && rows.data.length > 0 && (
        <DataTable caption="Notification providers" columns={['Name', 'Type', 'Events', 'Last delivery', 'Status']} actions>
          {rows.data.map(({ provider: p, last }) => (
            <tr key={p.id}>
              <th scope="row" data-label="Name">
                <a href={`#/settings/notifications/${p.id}`}>{p.name}</a>
                {p.source === 'config' && <span class="badge badge-info">bambuddy.yaml</span>}
              </th>
              <td data-label="Type">{typeName(p.type)}</td>
              <td data-label="Events">
                {p.events === null ? (
                  'All events'
                ) : (
                  <ul class="chips">
                    {p.events.map((ev) => (
                      <li key={ev} class="chip mono" title={eventDescription(ev)}>
                        {ev}
                      </li>
                    ))}
                  </ul>
                )}
              </td>
              <td data-label="Last delivery">
                {last ? (
                  <>
                    <DeliveryStatus status={last.status} /> <span class="mono small">{last.event}</span>{' '}
                    <span class="muted small" title={formatDateTime(last.updated_at)}>
                      {formatAgo(last.updated_at)}
                    </span>
                    {last.error && <div class="problem small">{last.error}</div>}
                  </>
                ) : (
                  <span class="muted">none yet</span>
                )}
              </td>
              <td data-label="Status">
                <EnabledBadge enabled={p.enabled} />
                {p.disabled_reason && <div class="problem small">{p.disabled_reason}</div>}
                {p.failing_since && <div class="problem small">failing since {formatDateTime(p.failing_since)}</div>}
                {p.problem && <div class="problem small">{p.problem}</div>}
              </td>
              <td class="row-actions">
                <button
                  type="button"
                  class="btn btn-small"
                  aria-label={`Test ${p.name}`}
                  disabled={testing !== null || !canWrite}
                  title={canWrite ? undefined : 'Needs Write Settings'}
                  onClick={() => test(p)}
                >
                  {testing === p.id ? 'Testing…' : 'Test'}
                </button>
                <a class="btn btn-small" href={`#/settings/notifications/${p.id}`} aria-label={`Delivery log of ${p.name}`}>
                  Log
                </a>
                {canWrite && p.source !== 'config' && (
                  <>
                    <button
                      type="button"
                      class="btn btn-small"
                      aria-label={`Edit ${p.name}`}
                      disabled={!typeOf(p)}
                      onClick={() => setEditing(p)}
                    >
                      Edit
                    </button>
                    <button type="button" class="btn btn-small" aria-label={`${p.enabled ? 'Disable' : 'Enable'} ${p.name}`} onClick={() => toggle(p)}>
                      {p.enabled ? 'Disable' : 'Enable'}
                    </button>
                    <button
                      type="button"
                      class="btn btn-small btn-danger-outline"
                      aria-label={`Delete ${p.name}`}
                      onClick={() => setDeleting(p)}
                    >
                      Delete
                    </button>
                  </>
                )}
              </td>
            </tr>
          ))}
        </DataTable>
      )}
      {choosing && catalog.data && (
        <Modal title="Add a notification provider" onClose={() => setChoosing(false)}>
          <p>Choose the type:</p>
          <ul class="type-list">
            {catalog.data.types.map((t) => (
              <li key={t.type}>
                <button
                  type="button"
                  class="btn type-choice"
                  onClick={() => {
                    setChoosing(false);
                    setAdding(t);
                  }}
                >
                  <strong>{typeName(t.type)}</strong>
                  <span class="perm-meaning">{t.description}</span>
                </button>
              </li>
            ))}
          </ul>
          {catalog.data.types.length === 0 && <p class="empty">No notifier plugin is loaded (plugins.load in bambuddy.yaml).</p>}
        </Modal>
      )}
      {(adding || editing) && catalog.data && (
        <ProviderForm
          type={adding ?? typeOf(editing!)!}
          provider={editing}
          events={catalog.data.events}
          printers={catalog.data.printers}
          onClose={() => {
            setAdding(null);
            setEditing(null);
          }}
          onSaved={(saved) => {
            setAdding(null);
            setEditing(null);
            if (saved.secret) setSecret({ name: saved.name, value: saved.secret });
            void rows.reload();
          }}
        />
      )}
      {secret && (
        <SigningSecretDialog title={`Signing secret of “${secret.name}”`} secret={secret.value} onClose={() => setSecret(null)} />
      )}
      {tested && (
        <DeliveryResultDialog
          title={`Test of “${tested.provider.name}”`}
          delivery={tested.delivery}
          onClose={() => setTested(null)}
        />
      )}
      {deleting && (
        <ConfirmDialog
          title="Delete provider?"
          confirmLabel={`Delete “${deleting.name}”`}
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            await api(`/notifications/${deleting.id}`, { method: 'DELETE' });
            await rows.reload();
          }}
        >
          <p>
            Delete <strong>{deleting.name}</strong> and its delivery log? Notifications still waiting are dropped.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}
