import { useState } from 'preact/hooks';
import { api, type ListAnswer } from '../lib/api';
import { formatDateTime, localInputToIsoUtc } from '../lib/format';
import { useAction, useLoad, usePolling } from '../lib/hooks';
import { useCan } from '../lib/me';
import { describePrintChoices } from '../lib/printJob';
import type { Archive, PrinterSummary, QueueItem } from '../lib/types';
import { DataTable } from '../components/DataTable';
import { ErrorBanner } from '../components/ErrorBanner';
import { Field, PrinterOptions } from '../components/Form';

// Moves the item at `from` to `to` (indexes into the list), returning a new list.
export function moveItem<T>(list: readonly T[], from: number, to: number): T[] {
  const out = [...list];
  if (from < 0 || from >= out.length || to < 0 || to >= out.length) return out;
  const [item] = out.splice(from, 1);
  out.splice(to, 0, item);
  return out;
}

// The print queue: pending items in print order (reorder by dragging or with the buttons), what
// runs now and what ran.
export function Queue() {
  const canWrite = useCan('queue:write');
  const canReadArchives = useCan('archives:read');
  const canReadPrinters = useCan('printers:read');
  const [dragging, setDragging] = useState<number | null>(null);
  const queue = usePolling((signal) => api<ListAnswer<QueueItem>>('/queue?limit=1000', { signal }), 5000, []);
  const printers = useLoad(
    (signal) => (canReadPrinters ? api<ListAnswer<PrinterSummary>>('/printers?limit=1000', { signal }) : Promise.resolve(null)),
    [],
  );
  const [order, setOrder] = useState<number[] | null>(null); // optimistic order while a reorder is sent
  const action = useAction();

  const items = queue.data?.items ?? [];
  const pendingFromServer = items.filter((i) => i.status === 'pending');
  const pending = order
    ? (order.map((id) => pendingFromServer.find((i) => i.id === id)).filter(Boolean) as QueueItem[])
    : pendingFromServer;
  const others = items.filter((i) => i.status !== 'pending');
  const printerName = (id: number | null) =>
    id === null ? 'Any printer' : (printers.data?.items.find((p) => p.id === id)?.name ?? `Printer ${id}`);

  const reorder = async (next: QueueItem[]) => {
    const ids = next.map((i) => i.id);
    setOrder(ids);
    await action.run(async () => {
      await api('/queue/reorder', { method: 'POST', body: { order: ids } });
      await queue.reload();
    });
    setOrder(null);
  };

  const remove = (item: QueueItem) =>
    action.run(async () => {
      await api(`/queue/${item.id}`, { method: 'DELETE' });
      await queue.reload();
    });

  return (
    <section>
      <div class="page-head">
        <h1>Queue</h1>
      </div>
      {canWrite && canReadArchives && <AddToQueue printers={printers.data?.items ?? null} onAdded={() => void queue.reload()} />}
      <ErrorBanner error={queue.error} />
      <ErrorBanner error={printers.error} />
      <ErrorBanner error={action.error} onDismiss={() => action.setError(null)} />
      <h2>Waiting ({pending.length})</h2>
      {queue.data && pending.length === 0 && <p class="empty">Nothing is waiting.</p>}
      {pending.length > 0 && (
        <ol class="queue-list" aria-label="Waiting items in print order">
          {pending.map((item, index) => (
            <li
              key={item.id}
              class={dragging === index ? 'queue-item dragging' : 'queue-item'}
              draggable={canWrite}
              onDragStart={(e) => {
                setDragging(index);
                e.dataTransfer?.setData('text/plain', String(item.id));
                if (e.dataTransfer) e.dataTransfer.effectAllowed = 'move';
              }}
              onDragOver={(e) => {
                if (dragging !== null) e.preventDefault();
              }}
              onDrop={(e) => {
                e.preventDefault();
                if (dragging !== null && dragging !== index) void reorder(moveItem(pending, dragging, index));
                setDragging(null);
              }}
              onDragEnd={() => setDragging(null)}
            >
              {canWrite && (
                <span class="drag-handle" aria-hidden="true" title="Drag to reorder">
                  ⋮⋮
                </span>
              )}
              <span class="queue-pos">{index + 1}</span>
              <div class="queue-main">
                <a href={`#/archives/${item.archive_id}`}>{item.name ?? `Archive ${item.archive_id}`}</a>
                <div class="muted small">
                  {printerName(item.printer_id)}
                  {item.scheduled_at && ` · not before ${formatDateTime(item.scheduled_at)}`}
                  {item.reason && ` · ${item.reason}`}
                </div>
                <PrintChoices item={item} />
              </div>
              {canWrite && (
                <div class="row-actions">
                  <button
                    type="button"
                    class="btn btn-small"
                    aria-label={`Move ${item.name ?? item.id} up`}
                    disabled={index === 0 || order !== null}
                    onClick={() => reorder(moveItem(pending, index, index - 1))}
                  >
                    ↑
                  </button>
                  <button
                    type="button"
                    class="btn btn-small"
                    aria-label={`Move ${item.name ?? item.id} down`}
                    disabled={index === pending.length - 1 || order !== null}
                    onClick={() => reorder(moveItem(pending, index, index + 1))}
                  >
                    ↓
                  </button>
                  <RemoveButton item={item} onRemove={remove} />
                </div>
              )}
            </li>
          ))}
        </ol>
      )}
      {others.length > 0 && (
        <>
          <h2>Printing and done</h2>
          <DataTable caption="Queue items printing or done" columns={['Item', 'Status', 'Printer', 'Started', 'Ended']} actions>
            {others.map((item) => (
              <tr key={item.id}>
                <th scope="row" data-label="Item">
                  <a href={`#/archives/${item.print_archive_id ?? item.archive_id}`}>{item.name ?? `Archive ${item.archive_id}`}</a>
                  <PrintChoices item={item} />
                </th>
                <td data-label="Status">
                  <span class={`badge status-${item.status}`}>{item.status}</span>
                </td>
                <td data-label="Printer">{printerName(item.assigned_printer_id ?? item.printer_id)}</td>
                <td data-label="Started">{formatDateTime(item.started_at)}</td>
                <td data-label="Ended">{formatDateTime(item.ended_at)}</td>
                <td class="row-actions">
                  {canWrite && item.status !== 'printing' && <RemoveButton item={item} onRemove={remove} />}
                </td>
              </tr>
            ))}
          </DataTable>
        </>
      )}
    </section>
  );
}

// The plate and print options an item starts with, when it has any besides the defaults.
function PrintChoices({ item }: { item: QueueItem }) {
  const text = describePrintChoices(item.plate, item.options);
  if (!text) return null;
  return (
    <div class="small print-choices" data-testid="print-choices">
      {text}
    </div>
  );
}

function RemoveButton({ item, onRemove }: { item: QueueItem; onRemove: (item: QueueItem) => void }) {
  return (
    <button
      type="button"
      class="btn btn-small btn-danger-outline"
      aria-label={`Remove ${item.name ?? item.id} from the queue`}
      onClick={() => onRemove(item)}
    >
      Remove
    </button>
  );
}

function AddToQueue({ printers, onAdded }: { printers: PrinterSummary[] | null; onAdded: () => void }) {
  const archives = useLoad((signal) => api<ListAnswer<Archive>>('/archives?status=uploaded&limit=1000', { signal }), []);
  const [archive, setArchive] = useState('');
  const [printer, setPrinter] = useState('');
  const [when, setWhen] = useState('');
  const action = useAction();
  const uploaded = (archives.data?.items ?? []).filter((a) => a.has_file);
  return (
    <form
      class="card filters"
      aria-label="Add to the queue"
      onSubmit={(e) => {
        e.preventDefault();
        if (!archive) return;
        void action.run(async () => {
          const body: Record<string, unknown> = { archive_id: Number(archive) };
          if (printer) body.printer_id = Number(printer);
          const at = localInputToIsoUtc(when);
          if (at) body.scheduled_at = at;
          await api('/queue', { method: 'POST', body });
          setArchive('');
          setWhen('');
          onAdded();
        });
      }}
    >
      <Field label="Archive">
        <select value={archive} onChange={(e) => setArchive((e.currentTarget as HTMLSelectElement).value)}>
          <option value="">{uploaded.length === 0 ? 'No uploaded 3MF yet' : 'Choose an uploaded 3MF'}</option>
          {uploaded.map((a) => (
            <option key={a.id} value={String(a.id)}>
              {a.name}
            </option>
          ))}
        </select>
      </Field>
      {printers && (
        <Field label="Printer">
          <select value={printer} onChange={(e) => setPrinter((e.currentTarget as HTMLSelectElement).value)}>
            <option value="">Any idle printer</option>
            <PrinterOptions printers={printers} />
          </select>
        </Field>
      )}
      <Field label="Not before (optional)">
        <input type="datetime-local" value={when} onInput={(e) => setWhen((e.currentTarget as HTMLInputElement).value)} />
      </Field>
      <div class="filter-actions">
        <button type="submit" class="btn btn-primary" disabled={!archive || action.busy}>
          Add to queue
        </button>
      </div>
      <ErrorBanner error={archives.error} />
      <ErrorBanner error={action.error} />
    </form>
  );
}
