// Generates form fields from a provider type's settings JSON Schema and turns the form's text
// values back into a settings object. Pure functions: the Notifications screen renders the fields,
// the unit tests check both directions.
import type { JsonSchema } from './types';

export type FieldKind = 'text' | 'secret' | 'number' | 'checkbox' | 'select' | 'list' | 'map' | 'json';

export interface FormField {
  name: string;
  label: string;
  kind: FieldKind;
  required: boolean;
  secret: boolean;
  description: string;
  options: string[]; // select
  defaultValue: unknown;
  integer: boolean;
  minimum?: number;
  maximum?: number;
  pattern?: string;
  generated: boolean; // the server makes one when left out (x-bambuddy-generate)
}

export type FormValues = Record<string, string | boolean>;

export const SECRET_MASK = '********';

function typeOf(schema: JsonSchema): string {
  if (Array.isArray(schema.type)) return schema.type.find((t) => t !== 'null') ?? 'string';
  return schema.type ?? (schema.properties ? 'object' : 'string');
}

// "smtp_url" -> "SMTP URL", "timeout_ms" -> "Timeout (ms)".
export function fieldLabel(name: string): string {
  const words: Record<string, string> = { url: 'URL', smtp: 'SMTP', tls: 'TLS', ca: 'CA', ms: '(ms)', id: 'ID' };
  const parts = name.split('_').map((w) => words[w] ?? w);
  const text = parts.join(' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

// One field per top-level property, in the schema's order; `omit` leaves properties out (the
// server's own bookkeeping, such as a secret being rotated out).
export function fieldsFromSchema(schema: JsonSchema, omit: readonly string[] = []): FormField[] {
  const required = new Set(schema.required ?? []);
  const fields: FormField[] = [];
  for (const [name, prop] of Object.entries(schema.properties ?? {})) {
    if (omit.includes(name)) continue;
    const secret = prop['x-bambuddy-secret'] === true || prop.writeOnly === true;
    const t = typeOf(prop);
    let kind: FieldKind;
    if (Array.isArray(prop.enum)) kind = 'select';
    else if (t === 'boolean') kind = 'checkbox';
    else if (t === 'integer' || t === 'number') kind = 'number';
    else if (t === 'array' && prop.items && typeOf(prop.items) === 'string') kind = 'list';
    else if (t === 'object' && isStringMap(prop)) kind = 'map';
    else if (t === 'object' || t === 'array') kind = 'json';
    else kind = secret ? 'secret' : 'text';
    fields.push({
      name,
      label: fieldLabel(name),
      kind,
      required: required.has(name),
      secret,
      description: prop.description ?? '',
      options: Array.isArray(prop.enum) ? prop.enum.map(String) : [],
      defaultValue: prop.default,
      integer: t === 'integer',
      minimum: prop.minimum,
      maximum: prop.maximum,
      pattern: prop.pattern,
      generated: typeof prop['x-bambuddy-generate'] === 'string',
    });
  }
  // Servers may list properties in any order (JSON objects are unordered): required ones first,
  // then plain settings, secrets, free-form JSON and the timeout last.
  const rank = (f: FormField) =>
    f.required ? 0 : f.name === 'timeout_ms' ? 4 : f.kind === 'json' ? 3 : f.secret ? 2 : 1;
  const requiredOrder = schema.required ?? [];
  return fields
    .map((f, i) => ({ f, i }))
    .sort((a, b) => {
      const r = rank(a.f) - rank(b.f);
      if (r !== 0) return r;
      if (a.f.required && b.f.required) return requiredOrder.indexOf(a.f.name) - requiredOrder.indexOf(b.f.name);
      return a.i - b.i;
    })
    .map(({ f }) => f);
}

function isStringMap(schema: JsonSchema): boolean {
  const ap = schema.additionalProperties;
  return !schema.properties && typeof ap === 'object' && ap !== null && typeOf(ap) === 'string';
}

// The form's starting values: the stored settings when editing (secrets left empty: empty means
// "keep"), else defaults for selects and checkboxes and nothing for the rest.
export function initialValues(fields: readonly FormField[], settings?: Record<string, unknown>): FormValues {
  const values: FormValues = {};
  for (const f of fields) {
    const stored = settings?.[f.name];
    if (f.secret) {
      values[f.name] = '';
    } else if (f.kind === 'checkbox') {
      values[f.name] = typeof stored === 'boolean' ? stored : f.defaultValue === true;
    } else if (f.kind === 'select') {
      values[f.name] = stored !== undefined ? String(stored) : f.defaultValue !== undefined ? String(f.defaultValue) : '';
    } else if (stored === undefined || stored === null) {
      values[f.name] = '';
    } else if (f.kind === 'list') {
      values[f.name] = Array.isArray(stored) ? stored.join('\n') : String(stored);
    } else if (f.kind === 'map') {
      values[f.name] = mapToText(stored);
    } else if (f.kind === 'json') {
      values[f.name] = JSON.stringify(stored, null, 2);
    } else {
      values[f.name] = String(stored);
    }
  }
  return values;
}

function mapToText(value: unknown): string {
  if (!value || typeof value !== 'object') return '';
  return Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => `${k}: ${String(v)}`)
    .join('\n');
}

// "Name: value" lines to an object; a line without ":" is an error.
export function parseHeaderLines(text: string): { value: Record<string, string>; error: string | null } {
  const value: Record<string, string> = {};
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
  for (const [i, line] of lines.entries()) {
    const colon = line.indexOf(':');
    if (colon <= 0) return { value, error: `line ${i + 1}: write it as “Name: value”` };
    value[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return { value, error: null };
}

export interface SettingsResult {
  settings: Record<string, unknown>;
  errors: Record<string, string>;
}

// Converts form values to settings. Empty optional fields are left out (the server's default
// applies, or, when editing, the stored value and stored secrets are kept). `editing` also keeps
// checkbox and select values as they are.
export function valuesToSettings(fields: readonly FormField[], values: FormValues, editing: boolean): SettingsResult {
  const settings: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  for (const f of fields) {
    const raw = values[f.name];
    if (f.kind === 'checkbox') {
      const on = raw === true;
      if (editing || on !== (f.defaultValue === true)) settings[f.name] = on;
      continue;
    }
    const text = typeof raw === 'string' ? raw.trim() : '';
    if (text === '') {
      if (f.required && !(editing && f.secret)) errors[f.name] = 'required';
      continue;
    }
    switch (f.kind) {
      case 'number': {
        const n = Number(text);
        if (!Number.isFinite(n) || (f.integer && !Number.isInteger(n))) {
          errors[f.name] = f.integer ? 'enter a whole number' : 'enter a number';
        } else if (f.minimum !== undefined && n < f.minimum) {
          errors[f.name] = `at least ${f.minimum}`;
        } else if (f.maximum !== undefined && n > f.maximum) {
          errors[f.name] = `at most ${f.maximum}`;
        } else {
          settings[f.name] = n;
        }
        break;
      }
      case 'list':
        settings[f.name] = text
          .split(/[\n,]+/)
          .map((s) => s.trim())
          .filter((s) => s.length > 0);
        break;
      case 'map': {
        const parsed = parseHeaderLines(text);
        if (parsed.error) errors[f.name] = parsed.error;
        else settings[f.name] = parsed.value;
        break;
      }
      case 'json':
        try {
          settings[f.name] = JSON.parse(text);
        } catch {
          errors[f.name] = 'not valid JSON';
        }
        break;
      default:
        if (f.secret && text === SECRET_MASK) break; // the mask sent back keeps the stored secret
        settings[f.name] = text;
    }
  }
  return { settings, errors };
}
