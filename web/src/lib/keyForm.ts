// The API key form (create and edit, Settings > API Keys): what is typed, checked as the
// auth.apikey plugin checks it, and the body of POST /api-keys or the PATCH of what changed.
import { isoToLocalInput, localInputToIsoUtc, splitList } from './format';
import type { ApiKey } from './types';

export type RateClass = 'read' | 'write' | 'control';
export const RATE_CLASSES: readonly RateClass[] = ['read', 'write', 'control'];

export interface KeyForm {
  name: string;
  permissions: string[];
  enabled: boolean;
  expires: string; // datetime-local value, '' = never
  ips: string; // free text list
  limits: Record<RateClass, string>; // '' = the server default
  allPrinters: boolean;
  printerIds: number[];
}

// Form fields; also where the server's refusal (by its code, as auth.apikey answers it) is shown.
export type KeyField = 'name' | 'permissions' | 'expires' | 'ips' | 'limits' | 'printers';
export const KEY_ERROR_FIELDS: Record<string, KeyField> = {
  invalid_name: 'name',
  invalid_permission: 'permissions',
  invalid_expires_at: 'expires',
  invalid_cidr: 'ips',
  invalid_rate_limits: 'limits',
  invalid_printer_ids: 'printers',
};

export function keyFormFrom(k: ApiKey | null, defaultPermissions: string[]): KeyForm {
  if (!k) {
    return {
      name: '',
      permissions: defaultPermissions,
      enabled: true,
      expires: '',
      ips: '',
      limits: { read: '', write: '', control: '' },
      allPrinters: true,
      printerIds: [],
    };
  }
  const limit = (v: number | null | undefined) => (v === null || v === undefined ? '' : String(v));
  return {
    name: k.name,
    permissions: [...k.permissions],
    enabled: k.enabled,
    expires: isoToLocalInput(k.expires_at),
    ips: k.allowed_ips.join(', '),
    limits: { read: limit(k.rate_limits.read), write: limit(k.rate_limits.write), control: limit(k.rate_limits.control) },
    allPrinters: k.printer_ids === null || k.printer_ids === undefined,
    printerIds: k.printer_ids ? [...k.printer_ids] : [],
  };
}

export interface BuiltKey {
  body: Record<string, unknown>;
  errors: Partial<Record<KeyField, string>>;
}

const sameSet = <T,>(a: readonly T[], b: readonly T[]) => a.length === b.length && a.every((x) => b.includes(x));

// The POST body (original = null) or the PATCH with only the changed fields.
export function buildKeyBody(form: KeyForm, original: ApiKey | null, nowMs: number = Date.now()): BuiltKey {
  const errors: BuiltKey['errors'] = {};
  const name = form.name.trim();
  if (!name) errors.name = 'enter a name, e.g. “Home Assistant”';
  else if (name.length > 100) errors.name = 'at most 100 characters';
  if (form.permissions.length === 0) errors.permissions = 'select at least one permission';
  let expiresAt: string | null = null;
  if (form.expires) {
    expiresAt = localInputToIsoUtc(form.expires);
    if (!expiresAt) errors.expires = 'not a valid date and time';
    else if (new Date(expiresAt).getTime() <= nowMs) errors.expires = 'must be in the future';
  }
  const ips = splitList(form.ips);
  const limits: Record<RateClass, number | null> = { read: null, write: null, control: null };
  for (const cls of RATE_CLASSES) {
    const v = form.limits[cls].trim();
    if (v === '') continue;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > 1_000_000) {
      errors.limits = `${cls}: a whole number from 1 to 1000000, or empty for the server default`;
      break;
    }
    limits[cls] = n;
  }
  if (!form.allPrinters && form.printerIds.length === 0) errors.printers = 'select at least one printer, or All printers';
  const printerIds = form.allPrinters ? null : [...form.printerIds].sort((a, b) => a - b);

  const body: Record<string, unknown> = {};
  if (!original) {
    body.name = name;
    body.permissions = form.permissions;
    if (expiresAt) body.expires_at = expiresAt;
    if (ips.length > 0) body.allowed_ips = ips;
    const set = Object.fromEntries(RATE_CLASSES.filter((c) => limits[c] !== null).map((c) => [c, limits[c]]));
    if (Object.keys(set).length > 0) body.rate_limits = set;
    if (printerIds) body.printer_ids = printerIds;
    return { body, errors };
  }
  if (name !== original.name) body.name = name;
  if (!sameSet(form.permissions, original.permissions)) body.permissions = form.permissions;
  if (form.enabled !== original.enabled) body.enabled = form.enabled;
  // Compared as typed: an unchanged expiry keeps its seconds.
  if (form.expires !== isoToLocalInput(original.expires_at)) body.expires_at = expiresAt;
  if (!sameSet(ips, original.allowed_ips)) body.allowed_ips = ips;
  if (RATE_CLASSES.some((c) => limits[c] !== (original.rate_limits[c] ?? null))) body.rate_limits = limits;
  const before = original.printer_ids ?? null;
  if ((before === null) !== (printerIds === null) || (before && printerIds && !sameSet(before, printerIds))) {
    body.printer_ids = printerIds;
  }
  return { body, errors };
}
