// Plain-text formatting of the API's numbers and times for people. Pure functions, unit-tested.

// Seconds as "2h 15m", "4m 05s", "42s"; em dash for unknown.
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '—';
  const s = Math.round(seconds);
  const days = Math.floor(s / 86400);
  const hours = Math.floor((s % 86400) / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const secs = s % 60;
  if (days > 0) return `${days}d ${hours}h`;
  if (hours > 0) return `${hours}h ${String(minutes).padStart(2, '0')}m`;
  if (minutes > 0) return `${minutes}m ${String(secs).padStart(2, '0')}s`;
  return `${secs}s`;
}

// A temperature with its target when there is one: "219.5 °C → 220 °C".
export function formatTemperature(current: number | null | undefined, target?: number | null): string {
  if (current === null || current === undefined || !Number.isFinite(current)) return '—';
  const now = `${roundTo(current, 1)} °C`;
  if (target === null || target === undefined || !Number.isFinite(target) || target <= 0) return now;
  return `${now} → ${roundTo(target, 1)} °C`;
}

function roundTo(value: number, digits: number): string {
  const f = 10 ** digits;
  const r = Math.round(value * f) / f;
  return Number.isInteger(r) ? String(r) : r.toFixed(digits);
}

// A percentage with at most one decimal; clamps to 0..100 for progress bars.
export function formatPercent(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return `${roundTo(value, 1)} %`;
}

export function clampPercent(value: number | null | undefined): number {
  if (value === null || value === undefined || !Number.isFinite(value)) return 0;
  return Math.min(100, Math.max(0, value));
}

export function formatGrams(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  if (value >= 1000) return `${roundTo(value / 1000, 2)} kg`;
  return `${roundTo(value, 1)} g`;
}

export function formatBytes(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value) || value < 0) return '—';
  const units = ['B', 'KB', 'MB', 'GB'];
  let v = value;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return i === 0 ? `${v} B` : `${roundTo(v, 1)} ${units[i]}`;
}

// An ISO time as "2024-01-15 14:30" in the browser's time zone; em dash for null.
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

// How long ago: "just now", "5 min ago", "3 h ago", "2 days ago"; "never" for null.
export function formatAgo(iso: string | null | undefined, nowMs: number = Date.now()): string {
  if (!iso) return 'never';
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return iso;
  const s = Math.round((nowMs - t) / 1000);
  if (s < 0) return 'in the future';
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  const days = Math.floor(s / 86400);
  return days === 1 ? '1 day ago' : `${days} days ago`;
}

// A value of <input type="datetime-local"> (local time) as ISO 8601 UTC without milliseconds, or
// null when empty or invalid.
export function localInputToIsoUtc(value: string): string | null {
  if (!value) return null;
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return null;
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// Splits a free-text list (commas, spaces or new lines) into its non-empty entries.
export function splitList(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

// Human label of a printer state.
export function stateLabel(state: string | null | undefined): string {
  switch (state) {
    case 'idle':
      return 'Idle';
    case 'preparing':
      return 'Preparing';
    case 'printing':
      return 'Printing';
    case 'paused':
      return 'Paused';
    case 'finished':
      return 'Finished';
    case 'failed':
      return 'Failed';
    case 'offline':
      return 'Offline';
    default:
      return state ? state : 'Unknown';
  }
}

// An ISO UTC time as the value of <input type="datetime-local"> in the browser's time zone
// ("2025-01-31T14:30"), or '' for null / invalid.
export function isoToLocalInput(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
