import { niceMax, ticks, type DayPoint } from '../lib/chart';

const W = 640;
const H = 220;
const PAD = { left: 36, right: 8, top: 10, bottom: 28 };

function dayLabel(date: string): string {
  return date.slice(5).replace('-', '/');
}

// Stacked bars of finished prints per day (successful, failed, cancelled). A table with the same
// numbers follows for screen readers.
export function PrintsPerDayChart({ days }: { days: DayPoint[] }) {
  const max = niceMax(Math.max(0, ...days.map((d) => d.total)));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const slot = plotW / Math.max(1, days.length);
  const bar = Math.max(2, slot * 0.7);
  const y = (v: number) => PAD.top + plotH - (v / max) * plotH;
  const labelEvery = Math.ceil(days.length / 8);
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label="Prints per day: successful, failed and cancelled">
        {ticks(max).map((t) => (
          <g key={t}>
            <line x1={PAD.left} x2={W - PAD.right} y1={y(t)} y2={y(t)} class="grid" />
            <text x={PAD.left - 6} y={y(t) + 4} class="axis" text-anchor="end">
              {t}
            </text>
          </g>
        ))}
        {days.map((d, i) => {
          const x = PAD.left + i * slot + (slot - bar) / 2;
          let top = y(0);
          const parts: [number, string][] = [
            [d.successful, 'bar-success'],
            [d.failed, 'bar-failed'],
            [d.cancelled, 'bar-cancelled'],
          ];
          return (
            <g key={d.date}>
              <title>{`${d.date}: ${d.successful} successful, ${d.failed} failed, ${d.cancelled} cancelled`}</title>
              {parts.map(([n, cls]) => {
                if (n <= 0) return null;
                const h = (n / max) * plotH;
                top -= h;
                return <rect key={cls} x={x} y={top} width={bar} height={h} class={cls} />;
              })}
              {i % labelEvery === 0 && (
                <text x={x + bar / 2} y={H - 8} class="axis" text-anchor="middle">
                  {dayLabel(d.date)}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <figcaption class="legend">
        <span class="key key-success">Successful</span>
        <span class="key key-failed">Failed</span>
        <span class="key key-cancelled">Cancelled</span>
      </figcaption>
    </figure>
  );
}

// Success rate per day as a line (gaps on days without prints), 0-100 %.
export function SuccessRateChart({ days }: { days: DayPoint[] }) {
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const step = days.length > 1 ? plotW / (days.length - 1) : 0;
  const x = (i: number) => PAD.left + i * step;
  const y = (v: number) => PAD.top + plotH - (v / 100) * plotH;
  // Segments of consecutive days with prints.
  const segments: string[] = [];
  let current: string[] = [];
  days.forEach((d, i) => {
    if (d.successRate === null) {
      if (current.length) segments.push(current.join(' '));
      current = [];
    } else {
      current.push(`${x(i).toFixed(1)},${y(d.successRate).toFixed(1)}`);
    }
  });
  if (current.length) segments.push(current.join(' '));
  const labelEvery = Math.ceil(days.length / 8);
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label="Success rate per day in percent">
        {[0, 25, 50, 75, 100].map((t) => (
          <g key={t}>
            <line x1={PAD.left} x2={W - PAD.right} y1={y(t)} y2={y(t)} class="grid" />
            <text x={PAD.left - 6} y={y(t) + 4} class="axis" text-anchor="end">
              {t}%
            </text>
          </g>
        ))}
        {segments.map((pts) => (
          <polyline key={pts} points={pts} class="line" />
        ))}
        {days.map((d, i) =>
          d.successRate === null ? null : (
            <circle key={d.date} cx={x(i)} cy={y(d.successRate)} r={3} class="dot">
              <title>{`${d.date}: ${d.successRate} % of ${d.total}`}</title>
            </circle>
          ),
        )}
        {days.map((d, i) =>
          i % labelEvery === 0 ? (
            <text key={d.date} x={x(i)} y={H - 8} class="axis" text-anchor="middle">
              {dayLabel(d.date)}
            </text>
          ) : null,
        )}
      </svg>
    </figure>
  );
}
