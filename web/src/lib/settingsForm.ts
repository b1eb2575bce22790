// The run-time settings form (Settings > General): GET /settings as text fields, checked with the
// rules of the server's settings schema (core/src/settings/settings_service.cpp), and the merge
// patch of what changed for PATCH /settings.
import type { ServerSettings } from './types';

export interface SettingsForm {
  progress_milestones: string;
  offline_debounce_s: string;
  rate_read: string;
  rate_write: string;
  rate_control: string;
  filament_cost_per_kg: string;
  currency: string;
  time_zone: string;
}

// Form field → the server's name for it (for its error messages).
export const SETTINGS_FIELD_PATHS: Record<keyof SettingsForm, string> = {
  progress_milestones: 'progress_milestones',
  offline_debounce_s: 'offline_debounce_s',
  rate_read: 'default_rate_limits.read',
  rate_write: 'default_rate_limits.write',
  rate_control: 'default_rate_limits.control',
  filament_cost_per_kg: 'filament_cost_per_kg',
  currency: 'currency',
  time_zone: 'time_zone',
};

export function settingsToForm(s: ServerSettings): SettingsForm {
  return {
    progress_milestones: s.progress_milestones.join(', '),
    offline_debounce_s: String(s.offline_debounce_s),
    rate_read: String(s.default_rate_limits.read),
    rate_write: String(s.default_rate_limits.write),
    rate_control: String(s.default_rate_limits.control),
    filament_cost_per_kg: String(s.filament_cost_per_kg),
    currency: s.currency,
    time_zone: s.time_zone,
  };
}

function number(text: string, min: number, max: number, integer: boolean): number | string {
  const t = text.trim();
  if (t === '') return 'required';
  const n = Number(t);
  if (!Number.isFinite(n)) return 'enter a number';
  if (integer && !Number.isInteger(n)) return 'enter a whole number';
  if (n < min) return `at least ${min}`;
  if (n > max) return `at most ${max}`;
  return n;
}

export interface BuiltPatch {
  patch: Record<string, unknown>; // only what differs from `current`
  errors: Partial<Record<keyof SettingsForm, string>>;
}

export function buildSettingsPatch(form: SettingsForm, current: ServerSettings): BuiltPatch {
  const errors: BuiltPatch['errors'] = {};
  const patch: Record<string, unknown> = {};

  const parts = form.progress_milestones
    .split(/[\s,]+/)
    .map((p) => p.trim())
    .filter((p) => p !== '');
  const milestones: number[] = [];
  for (const p of parts) {
    const n = Number(p);
    if (!Number.isInteger(n) || n < 1 || n > 99) {
      errors.progress_milestones = `“${p}” is not a whole percentage from 1 to 99`;
      break;
    }
    if (milestones.includes(n)) {
      errors.progress_milestones = `${n} is listed twice`;
      break;
    }
    milestones.push(n);
  }
  if (!errors.progress_milestones && milestones.length > 20) errors.progress_milestones = 'at most 20 percentages';
  if (!errors.progress_milestones && JSON.stringify(milestones) !== JSON.stringify(current.progress_milestones)) {
    patch.progress_milestones = milestones;
  }

  const debounce = number(form.offline_debounce_s, 0, 86400, false);
  if (typeof debounce === 'string') errors.offline_debounce_s = debounce;
  else if (debounce !== current.offline_debounce_s) patch.offline_debounce_s = debounce;

  const limits: Record<string, number> = {};
  for (const [key, cls] of [
    ['rate_read', 'read'],
    ['rate_write', 'write'],
    ['rate_control', 'control'],
  ] as const) {
    const v = number(form[key], 1, 1_000_000, true);
    if (typeof v === 'string') errors[key] = v;
    else if (v !== current.default_rate_limits[cls]) limits[cls] = v;
  }
  if (Object.keys(limits).length > 0) patch.default_rate_limits = limits;

  const cost = number(form.filament_cost_per_kg, 0, 100_000, false);
  if (typeof cost === 'string') errors.filament_cost_per_kg = cost;
  else if (cost !== current.filament_cost_per_kg) patch.filament_cost_per_kg = cost;

  const currency = form.currency.trim();
  if (!/^[A-Z]{3}$/.test(currency)) errors.currency = 'three capital letters (ISO 4217), e.g. EUR, USD, CHF';
  else if (currency !== current.currency) patch.currency = currency;

  const tz = form.time_zone.trim();
  if (tz.length < 1 || tz.length > 64) errors.time_zone = 'an IANA time zone name, e.g. Europe/Berlin';
  else if (tz !== current.time_zone) patch.time_zone = tz;

  return { patch, errors };
}
