import { useEffect, useState } from 'preact/hooks';
import { api, apiBlob, type ListAnswer } from '../lib/api';
import { formatBytes, formatDateTime, formatDuration, formatGrams, formatPercent } from '../lib/format';
import { useAction, useLoad } from '../lib/hooks';
import { useCan } from '../lib/me';
import { navigate } from '../lib/router';
import {
  PRINT_SWITCHES,
  noSwitchChoices,
  plateErrorText,
  plateLabel,
  platesOf,
  printBody,
  type SwitchChoices,
  type TriState,
} from '../lib/printJob';
import type { Archive, PrintStart, PrinterSummary, QueueItem } from '../lib/types';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { ErrorBanner, Notice } from '../components/ErrorBanner';
import { Field } from '../components/Form';

// One archive: thumbnail, facts, 3MF metadata; edit, download, delete, queue or print it.
export function ArchiveDetail({ id }: { id: number }) {
  const canWrite = useCan('archives:write');
  const canQueue = useCan('queue:write');
  const canControl = useCan('printers:control');
  const canReadPrinters = useCan('printers:read');
  const archive = useLoad((signal) => api<Archive>(`/archives/${id}`, { signal }), [id]);
  const printers = useLoad(
    (signal) =>
      canReadPrinters ? api<ListAnswer<PrinterSummary>>('/printers?limit=1000', { signal }) : Promise.resolve(null),
    [],
  );
  const [thumb, setThumb] = useState<string | null>(null);
  const action = useAction();
  const [deleting, setDeleting] = useState(false);

  const a = archive.data;
  useEffect(() => {
    if (!a?.has_thumbnail) return undefined;
    let url: string | null = null;
    let cancelled = false;
    apiBlob(`/archives/${a.id}/thumbnail`)
      .then((blob) => {
        if (cancelled) return;
        url = URL.createObjectURL(blob);
        setThumb(url);
      })
      .catch((e) => {
        if (!cancelled) action.setError(e);
      });
    return () => {
      cancelled = true;
      if (url) URL.revokeObjectURL(url);
    };
  }, [a?.id, a?.has_thumbnail]);

  const download = async () => {
    if (!a) return;
    await action.run(async () => {
      const blob = await apiBlob(`/archives/${a.id}/file`);
      const url = URL.createObjectURL(blob);
      const link = document.createElement('a');
      link.href = url;
      link.download = a.filename ?? `${a.name}.3mf`;
      document.body.appendChild(link);
      link.click();
      link.remove();
      window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
    });
  };

  return (
    <section>
      <p class="crumb">
        <a href="#/archives">Archives</a> ›
      </p>
      <ErrorBanner error={archive.error} />
      <ErrorBanner error={printers.error} />
      {a && (
        <>
          <div class="page-head">
            <h1>
              {a.name} {a.favourite && <span aria-label="favourite">★</span>}
            </h1>
            <span class={`badge status-${a.status}`}>{a.status}</span>
          </div>
          <ErrorBanner error={action.error} onDismiss={() => action.setError(null)} />
          <div class="detail-grid">
            <div class="card thumb">
              {thumb ? <img src={thumb} alt={`Plate preview of ${a.name}`} /> : <p class="muted">No preview</p>}
            </div>
            <dl class="facts facts-wide card">
              <Fact label="File" value={a.filename ?? '—'} mono />
              <Fact label="Printer" value={a.printer ?? '—'} />
              <Fact label="Started" value={formatDateTime(a.started_at)} />
              <Fact label="Ended" value={formatDateTime(a.ended_at)} />
              <Fact label="Duration" value={formatDuration(a.duration)} />
              <Fact label="Slicer estimate" value={formatDuration(a.estimated_time)} />
              <Fact label="Progress" value={formatPercent(a.progress)} />
              <Fact
                label="Filament"
                value={
                  a.filament_used !== null
                    ? `${formatGrams(a.filament_used)}${a.filament_type ? ` ${a.filament_type}` : ''}`
                    : (a.filament_type ?? '—')
                }
              />
              {a.file_size !== undefined && a.file_size !== null && <Fact label="Size" value={formatBytes(a.file_size)} />}
              {a.error && <Fact label="Error" value={`${a.error.code ?? ''} ${a.error.message ?? ''}`.trim()} />}
              <Fact label="Uploaded / created" value={formatDateTime(a.created_at)} />
            </dl>
          </div>
          <div class="actions actions-left">
            {a.has_file && (
              <button type="button" class="btn" onClick={download}>
                Download 3MF
              </button>
            )}
            {canWrite && (
              <button type="button" class="btn btn-danger-outline" onClick={() => setDeleting(true)}>
                Delete archive
              </button>
            )}
          </div>
          {a.has_file && (canQueue || canControl) && (
            <PrintIt archive={a} printers={printers.data?.items ?? null} canQueue={canQueue} canControl={canControl} />
          )}
          {canWrite ? <EditArchive archive={a} onSaved={() => void archive.reload()} /> : <ReadOnlyNotes archive={a} />}
          {a.metadata && Object.keys(a.metadata).length > 0 && (
            <details class="card">
              <summary>3MF metadata</summary>
              <pre class="mono small metadata">{JSON.stringify(a.metadata, null, 2)}</pre>
            </details>
          )}
          {deleting && (
            <ConfirmDialog
              title="Delete archive?"
              confirmLabel={`Delete “${a.name}”`}
              onClose={() => setDeleting(false)}
              onConfirm={async () => {
                await api(`/archives/${a.id}`, { method: 'DELETE' });
                navigate('/archives');
              }}
            >
              <p>
                Delete <strong>{a.name}</strong> with its 3MF file and preview? This cannot be undone.
              </p>
            </ConfirmDialog>
          )}
        </>
      )}
    </section>
  );
}

type Started = { kind: 'queued'; position: number } | { kind: 'started'; answer: PrintStart; printer: string };

// Print the archive now on a chosen printer, or add it to the queue: which plate (when the file has
// several) and the print options, each left to the printer unless chosen.
function PrintIt({
  archive,
  printers,
  canQueue,
  canControl,
}: {
  archive: Archive;
  printers: PrinterSummary[] | null;
  canQueue: boolean;
  canControl: boolean;
}) {
  const plates = platesOf(archive.metadata);
  const [printer, setPrinter] = useState('');
  const [plate, setPlate] = useState(plates.length > 0 ? String(plates[0].index) : '');
  const [choices, setChoices] = useState<SwitchChoices>(noSwitchChoices);
  const [done, setDone] = useState<Started | null>(null);
  const action = useAction();

  // The plate is sent when the file has several; with one (or none listed) the server picks it.
  const body = () => printBody(archive.id, plates.length > 1 && plate ? Number(plate) : null, choices);

  const addToQueue = () => {
    setDone(null);
    void action.run(async () => {
      const item = await api<QueueItem>('/queue', {
        method: 'POST',
        body: { ...body(), ...(printer ? { printer_id: Number(printer) } : {}) },
      });
      setDone({ kind: 'queued', position: item.position });
    });
  };

  const printNow = () => {
    if (!printer) return;
    setDone(null);
    void action.run(async () => {
      const answer = await api<PrintStart>(`/printers/${printer}/print/start`, { method: 'POST', body: body() });
      const name = printers?.find((p) => String(p.id) === printer)?.name ?? `printer ${printer}`;
      setDone({ kind: 'started', answer, printer: name });
    });
  };

  const plateProblem = plateErrorText(action.error);
  return (
    <form class="card" aria-label="Print it" onSubmit={(e) => e.preventDefault()}>
      <h2>Print it</h2>
      <div class="filters">
        {printers && (
          <Field label="Printer">
            <select value={printer} onChange={(e) => setPrinter((e.currentTarget as HTMLSelectElement).value)}>
              <option value="">{canQueue ? 'Any idle printer (queue)' : 'Choose a printer'}</option>
              {printers.map((p) => (
                <option key={p.id} value={String(p.id)}>
                  {p.name} ({p.status.state}
                  {p.status.awaiting_plate_clear ? ', bed not cleared' : ''})
                </option>
              ))}
            </select>
          </Field>
        )}
        {plates.length > 1 && (
          <label class={plateProblem ? 'field field-invalid plate-field' : 'field plate-field'}>
            <span>Plate</span>
            <select
              value={plate}
              aria-invalid={plateProblem ? 'true' : undefined}
              onChange={(e) => setPlate((e.currentTarget as HTMLSelectElement).value)}
            >
              {plates.map((p) => (
                <option key={p.index} value={String(p.index)}>
                  {plateLabel(p)}
                </option>
              ))}
            </select>
            {plateProblem && <span class="field-error">{plateProblem}</span>}
          </label>
        )}
      </div>
      <fieldset class="print-options">
        <legend>Print options</legend>
        <div class="filters">
          {PRINT_SWITCHES.map(({ key, label }) => (
            <Field key={key} label={label}>
              <select
                value={choices[key]}
                onChange={(e) => setChoices({ ...choices, [key]: (e.currentTarget as HTMLSelectElement).value as TriState })}
              >
                <option value="">Printer default</option>
                <option value="on">On</option>
                <option value="off">Off</option>
              </select>
            </Field>
          ))}
        </div>
      </fieldset>
      {plateProblem && plates.length <= 1 && <p class="problem">{plateProblem}</p>}
      <ErrorBanner error={action.error} onDismiss={() => action.setError(null)} />
      {done?.kind === 'queued' && <Notice kind="success">Added to the queue at position {done.position}.</Notice>}
      {done?.kind === 'started' && (
        <Notice kind="success">
          The print started on <strong>{done.printer}</strong>
          {done.answer.plate ? ` (plate ${done.answer.plate})` : ''}: the file is on its way to the printer.{' '}
          {done.answer.print ? (
            <a href={`#/archives/${done.answer.print.id}`}>Open the print record</a>
          ) : (
            'Its print record appears in Archives when the printer reports it.'
          )}
        </Notice>
      )}
      <div class="actions actions-left">
        {canQueue && (
          <button type="button" class="btn btn-primary" disabled={action.busy} onClick={addToQueue}>
            Add to queue
          </button>
        )}
        {canControl && (
          <button type="button" class="btn" disabled={!printer || action.busy} onClick={printNow}>
            Print now
          </button>
        )}
      </div>
    </form>
  );
}

function Fact({ label, value, mono = false }: { label: string; value: string; mono?: boolean }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd class={mono ? 'mono ellipsis' : undefined}>{value}</dd>
    </div>
  );
}

function ReadOnlyNotes({ archive }: { archive: Archive }) {
  if (!archive.notes && archive.tags.length === 0) return null;
  return (
    <div class="card">
      {archive.notes && <p>{archive.notes}</p>}
      {archive.tags.length > 0 && (
        <ul class="chips">
          {archive.tags.map((t) => (
            <li key={t} class="chip">
              {t}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function EditArchive({ archive, onSaved }: { archive: Archive; onSaved: () => void }) {
  const [name, setName] = useState(archive.name);
  const [notes, setNotes] = useState(archive.notes);
  const [tags, setTags] = useState(archive.tags.join(', '));
  const [favourite, setFavourite] = useState(archive.favourite);
  const action = useAction();
  const [saved, setSaved] = useState(false);
  return (
    <form
      class="card"
      onSubmit={(e) => {
        e.preventDefault();
        setSaved(false);
        void action.run(async () => {
          await api(`/archives/${archive.id}`, {
            method: 'PATCH',
            body: { name: name.trim(), notes, tags: tags.split(',').map((t) => t.trim()).filter(Boolean), favourite },
          });
          setSaved(true);
          onSaved();
        });
      }}
    >
      <h2>Details</h2>
      <Field label="Name">
        <input type="text" value={name} onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)} />
      </Field>
      <Field label="Notes">
        <textarea rows={3} value={notes} onInput={(e) => setNotes((e.currentTarget as HTMLTextAreaElement).value)} />
      </Field>
      <Field label="Tags">
        <input type="text" value={tags} placeholder="comma separated" onInput={(e) => setTags((e.currentTarget as HTMLInputElement).value)} />
      </Field>
      <label class="check">
        <input type="checkbox" checked={favourite} onChange={(e) => setFavourite((e.currentTarget as HTMLInputElement).checked)} />
        <span>Favourite</span>
      </label>
      <ErrorBanner error={action.error} />
      <div class="actions actions-left">
        <button type="submit" class="btn btn-primary">
          Save
        </button>
        <span aria-live="polite" class="muted">
          {saved ? 'Saved.' : ''}
        </span>
      </div>
    </form>
  );
}
