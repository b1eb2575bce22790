import { useRef, useState } from 'preact/hooks';
import { api, apiUpload, query, type ListAnswer } from '../lib/api';
import { formatDateTime, formatDuration, formatGrams } from '../lib/format';
import { useFilterForm, useLoad } from '../lib/hooks';
import { useCan } from '../lib/me';
import { navigate } from '../lib/router';
import type { Archive, PrinterSummary } from '../lib/types';
import { DataTable } from '../components/DataTable';
import { ErrorBanner } from '../components/ErrorBanner';
import { Field, FilterForm, Options, PeriodFields, PrinterOptions, Problem } from '../components/Form';
import { Pager } from '../components/Pager';

const PAGE = 25;
export const ARCHIVE_STATUSES = ['uploaded', 'printing', 'success', 'failed', 'cancelled'];

interface Filters {
  status: string;
  printer_id: string;
  q: string;
  since: string; // yyyy-mm-dd
  until: string;
}

function dayStartIso(date: string): string | null {
  return date ? new Date(`${date}T00:00:00`).toISOString() : null;
}

// Archives: every print and uploaded 3MF, newest first, with filters and upload.
export function Archives() {
  const canWrite = useCan('archives:write');
  const canReadPrinters = useCan('printers:read');
  const { filters, set, applied, apply, offset, setOffset } = useFilterForm<Filters>({
    status: '',
    printer_id: '',
    q: '',
    since: '',
    until: '',
  });
  // Keyset paging: the cursor each page starts after (the first page none), filled in as the user
  // moves forward; every page then costs the server the same, however deep.
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const after = cursors[offset / PAGE] ?? null;
  const archives = useLoad(
    (signal) =>
      api<ListAnswer<Archive> & { next: string | null }>(
        `/archives${query({
          status: applied.status,
          printer_id: applied.printer_id,
          q: applied.q.trim(),
          since: dayStartIso(applied.since),
          // "until" is exclusive: the day after the chosen one.
          until: applied.until ? new Date(new Date(`${applied.until}T00:00:00`).getTime() + 86_400_000).toISOString() : null,
          limit: PAGE,
          ...(after ? { after } : { offset }),
        })}`,
        { signal },
      ),
    [applied, offset],
  );
  const goTo = (o: number) => {
    const index = o / PAGE;
    if (index > offset / PAGE && archives.data?.next) setCursors([...cursors.slice(0, index), archives.data.next]);
    setOffset(o);
  };
  const printers = useLoad(
    (signal) =>
      canReadPrinters ? api<ListAnswer<PrinterSummary>>('/printers?limit=1000', { signal }) : Promise.resolve(null),
    [],
  );

  return (
    <section>
      <div class="page-head">
        <h1>Archives</h1>
      </div>
      {canWrite && <Upload onUploaded={(a) => navigate(`/archives/${a.id}`)} />}
      <FilterForm label="Filter archives" onSubmit={apply}>
        <Field label="Search">
          <input type="search" value={filters.q} placeholder="name or file" onInput={set('q')} />
        </Field>
        <Field label="Status">
          <select value={filters.status} onChange={set('status')}>
            <option value="">Any</option>
            <Options values={ARCHIVE_STATUSES} />
          </select>
        </Field>
        {printers.data && (
          <Field label="Printer">
            <select value={filters.printer_id} onChange={set('printer_id')}>
              <option value="">Any</option>
              <PrinterOptions printers={printers.data.items} />
            </select>
          </Field>
        )}
        <PeriodFields
          type="date"
          since={filters.since}
          until={filters.until}
          onSince={set('since')}
          onUntil={set('until')}
        />
      </FilterForm>
      <ErrorBanner error={archives.error} />
      <ErrorBanner error={printers.error} />
      {archives.data && archives.data.items.length === 0 && <p class="empty">No archives match.</p>}
      {archives.data && archives.data.items.length > 0 && (
        <DataTable caption="Archives" columns={['Name', 'Status', 'Printer', 'Started', 'Duration', 'Filament']}>
          {archives.data.items.map((a) => (
            <tr key={a.id}>
              <th scope="row" data-label="Name">
                <a href={`#/archives/${a.id}`}>{a.name}</a>
                {a.favourite && <span aria-label="favourite" title="favourite"> ★</span>}
                {a.filename && a.filename !== a.name && <div class="muted small mono">{a.filename}</div>}
              </th>
              <td data-label="Status">
                <span class={`badge status-${a.status}`}>{a.status}</span>
              </td>
              <td data-label="Printer">{a.printer ?? '—'}</td>
              <td data-label="Started" class="nowrap">
                {formatDateTime(a.started_at ?? a.created_at)}
              </td>
              <td data-label="Duration">{formatDuration(a.duration ?? a.estimated_time)}{a.duration === null && a.estimated_time !== null ? ' (est.)' : ''}</td>
              <td data-label="Filament">{formatGrams(a.filament_used)}</td>
            </tr>
          ))}
        </DataTable>
      )}
      {archives.data && <Pager total={archives.data.total} offset={offset} page={PAGE} onOffset={goTo} />}
    </section>
  );
}

function Upload({ onUploaded }: { onUploaded: (a: Archive) => void }) {
  const input = useRef<HTMLInputElement>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const upload = async (e: Event) => {
    e.preventDefault();
    const file = input.current?.files?.[0];
    if (!file) return setProblem('Choose a .3mf file first.');
    if (!file.name.toLowerCase().endsWith('.3mf')) return setProblem('Only .3mf files (Bambu Studio / Orca Slicer projects) can be uploaded.');
    setProblem(null);
    setError(null);
    setProgress(0);
    try {
      const archive = await apiUpload<Archive>(`/archives${query({ filename: file.name })}`, file, setProgress);
      onUploaded(archive);
    } catch (err) {
      setError(err);
      setProgress(null);
    }
  };
  return (
    <form class="card upload" onSubmit={upload}>
      <Field label="Upload a 3MF">
        <input ref={input} type="file" accept=".3mf,application/vnd.ms-package.3dmanufacturing-3dmodel+xml" />
      </Field>
      <button type="submit" class="btn btn-primary" disabled={progress !== null}>
        Upload
      </button>
      {progress !== null && (
        <div
          class="progress"
          role="progressbar"
          aria-label="Upload progress"
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={Math.round(progress * 100)}
        >
          <div class="progress-fill" style={{ width: `${Math.round(progress * 100)}%` }} />
        </div>
      )}
      <Problem text={problem} />
      <ErrorBanner error={error} />
    </form>
  );
}
