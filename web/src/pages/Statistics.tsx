import { useState } from 'preact/hooks';
import { api, query } from '../lib/api';
import { lastDays } from '../lib/chart';
import { formatDuration, formatGrams, formatPercent } from '../lib/format';
import { useLoad } from '../lib/hooks';
import type { Statistics } from '../lib/types';
import { PrintsPerDayChart, SuccessRateChart } from '../components/Charts';
import { ErrorBanner } from '../components/ErrorBanner';

const RANGES = [7, 30, 90];

// Totals, prints per day and success rate over the last 7, 30 or 90 days.
export function StatisticsPage() {
  const [range, setRange] = useState(30);
  const stats = useLoad((signal) => {
    const dayMs = 86_400_000;
    const since = new Date((Math.floor(Date.now() / dayMs) - (range - 1)) * dayMs).toISOString();
    return api<Statistics>(`/statistics${query({ since })}`, { signal });
  }, [range]);
  const s = stats.data;
  // Ranges of up to 92 days come back as a daily series.
  const days = s && s.bucket === 'day' ? lastDays(s.series, range, Date.now()) : [];
  return (
    <section>
      <div class="page-head">
        <h1>Statistics</h1>
        <label class="field field-inline">
          <span>Period</span>
          <select value={String(range)} onChange={(e) => setRange(Number((e.currentTarget as HTMLSelectElement).value))}>
            {RANGES.map((r) => (
              <option key={r} value={String(r)}>
                Last {r} days
              </option>
            ))}
          </select>
        </label>
      </div>
      <ErrorBanner error={stats.error} />
      {s && (
        <>
          <div class="stat-grid">
            <Stat label="Prints" value={String(s.total_prints)} />
            <Stat label="Success rate" value={formatPercent(s.success_rate)} />
            <Stat label="Successful" value={String(s.successful)} />
            <Stat label="Failed" value={String(s.failed)} />
            <Stat label="Cancelled" value={String(s.cancelled)} />
            <Stat label="Print time" value={formatDuration(s.total_print_time)} />
            <Stat label="Filament" value={formatGrams(s.total_filament)} />
            {s.currency && s.filament_cost !== undefined && (
              <Stat label="Filament cost" value={`${s.filament_cost.toFixed(2)} ${s.currency}`} />
            )}
          </div>
          <div class="chart-grid">
            <div class="card">
              <h2>Prints per day</h2>
              <PrintsPerDayChart days={days} />
            </div>
            <div class="card">
              <h2>Success rate per day</h2>
              <SuccessRateChart days={days} />
            </div>
          </div>
          <details class="card">
            <summary>Numbers per day</summary>
            <div class="table-wrap">
              <table class="table">
                <thead>
                  <tr>
                    <th scope="col">Day (UTC)</th>
                    <th scope="col">Prints</th>
                    <th scope="col">Successful</th>
                    <th scope="col">Failed</th>
                    <th scope="col">Cancelled</th>
                    <th scope="col">Success rate</th>
                  </tr>
                </thead>
                <tbody>
                  {days
                    .filter((d) => d.total > 0)
                    .map((d) => (
                      <tr key={d.date}>
                        <th scope="row">{d.date}</th>
                        <td>{d.total}</td>
                        <td>{d.successful}</td>
                        <td>{d.failed}</td>
                        <td>{d.cancelled}</td>
                        <td>{formatPercent(d.successRate)}</td>
                      </tr>
                    ))}
                </tbody>
              </table>
            </div>
          </details>
          {s.per_printer.length > 0 && (
            <div class="card">
              <h2>Per printer</h2>
              <div class="table-wrap">
                <table class="table">
                  <thead>
                    <tr>
                      <th scope="col">Printer</th>
                      <th scope="col">Prints</th>
                      <th scope="col">Success rate</th>
                      <th scope="col">Print time</th>
                      <th scope="col">Filament</th>
                    </tr>
                  </thead>
                  <tbody>
                    {s.per_printer.map((p) => (
                      <tr key={String(p.printer_id)}>
                        <th scope="row" data-label="Printer">{p.printer ?? (p.printer_id === null ? 'Removed printer' : `Printer ${p.printer_id}`)}</th>
                        <td data-label="Prints">{p.total_prints}</td>
                        <td data-label="Success rate">{formatPercent(p.success_rate)}</td>
                        <td data-label="Print time">{formatDuration(p.total_print_time)}</td>
                        <td data-label="Filament">{formatGrams(p.total_filament)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </div>
          )}
        </>
      )}
    </section>
  );
}

function Stat({ label, value }: { label: string; value: string }) {
  return (
    <div class="card stat">
      <div class="stat-value">{value}</div>
      <div class="stat-label">{label}</div>
    </div>
  );
}
