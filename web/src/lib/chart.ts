// Numbers behind the statistics charts: a gap-free run of days and round axis maxima.
import type { Statistics } from './types';

export interface DayPoint {
  date: string; // YYYY-MM-DD (UTC)
  successful: number;
  failed: number;
  cancelled: number;
  total: number;
  successRate: number | null; // percent, null on days without prints
}

function utcDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

// The `days` UTC days ending with the one holding `nowMs`, with zeros where the API has no row.
export function lastDays(perDay: Statistics['series'], days: number, nowMs: number): DayPoint[] {
  const byDate = new Map(perDay.map((d) => [d.date, d]));
  const out: DayPoint[] = [];
  const dayMs = 86_400_000;
  const today = Math.floor(nowMs / dayMs) * dayMs;
  for (let i = days - 1; i >= 0; i -= 1) {
    const date = utcDate(today - i * dayMs);
    const row = byDate.get(date);
    const successful = row?.successful ?? 0;
    const failed = row?.failed ?? 0;
    const cancelled = row?.cancelled ?? 0;
    const total = row?.total_prints ?? successful + failed + cancelled;
    out.push({
      date,
      successful,
      failed,
      cancelled,
      total,
      successRate: total > 0 ? Math.round((1000 * successful) / total) / 10 : null,
    });
  }
  return out;
}

// The smallest 1, 2 or 5 times a power of ten that is at least `value` (at least 1).
export function niceMax(value: number): number {
  if (!(value > 1)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) {
    if (step * power >= value) return step * power;
  }
  return 10 * power;
}

// Whole-number axis values from 0 to `max` (a niceMax result): 1 and 2 step by one, 5 and 50 by a
// fifth, 10 and 100 by a fifth, 20 and 200 by a quarter.
export function ticks(max: number): number[] {
  if (!(max > 0)) return [0];
  const lead = Math.round(max / 10 ** Math.floor(Math.log10(max)));
  const count = max <= 2 ? max : lead === 2 ? 4 : 5;
  const out: number[] = [];
  for (let i = 0; i <= count; i += 1) out.push(Math.round(((max * i) / count) * 1000) / 1000);
  return out;
}
