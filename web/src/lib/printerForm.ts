// The Bambu printer form (Settings > Printers) and the printer.bambu settings it sends. The rules
// are those of plugins/printer-bambu/schema/instance.schema.json, checked here so a typo is marked
// before the round trip; the server checks again and its answer is shown next to the field too.

export type TlsMode = 'none' | 'fingerprint' | 'ca_file';

export interface BambuForm {
  name: string;
  host: string;
  serial: string;
  accessCode: string; // empty when editing = keep the stored one
  port: string;
  tlsMode: TlsMode;
  fingerprint: string;
  caFile: string;
}

export type BambuSettings = Record<string, unknown>;

// The form's field names as the server names them (settings.<name>), for server errors.
export const BAMBU_FIELDS = ['host', 'serial', 'access_code', 'port', 'tls', 'tls.fingerprint_sha256', 'tls.ca_file'] as const;

const HOST =
  /^(([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?))*\.?|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)$/;
const SERIAL = /^[A-Za-z0-9_-]+$/;
const ACCESS_CODE = /^[!-~]+$/;
const FINGERPRINT = /^([0-9A-Fa-f]{64}|([0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2})$/;
export const DEFAULT_PORT = 8883;

export function emptyBambuForm(): BambuForm {
  return { name: '', host: '', serial: '', accessCode: '', port: String(DEFAULT_PORT), tlsMode: 'none', fingerprint: '', caFile: '' };
}

// A stored printer's (redacted) settings as the form; the access code stays empty.
export function bambuFormFrom(name: string, settings: BambuSettings): BambuForm {
  const tls = (settings.tls ?? {}) as Record<string, unknown>;
  const mode: TlsMode = typeof tls.fingerprint_sha256 === 'string' ? 'fingerprint' : typeof tls.ca_file === 'string' ? 'ca_file' : 'none';
  return {
    name,
    host: typeof settings.host === 'string' ? settings.host : '',
    serial: typeof settings.serial === 'string' ? settings.serial : '',
    accessCode: '',
    port: settings.port === undefined ? String(DEFAULT_PORT) : String(settings.port),
    tlsMode: mode,
    fingerprint: mode === 'fingerprint' ? String(tls.fingerprint_sha256) : '',
    caFile: mode === 'ca_file' ? String(tls.ca_file) : '',
  };
}

function tlsOf(form: BambuForm): Record<string, string> {
  if (form.tlsMode === 'fingerprint') return { fingerprint_sha256: form.fingerprint.trim() };
  if (form.tlsMode === 'ca_file') return { ca_file: form.caFile.trim() };
  return {};
}

// True when host, port or TLS checks differ from `stored`: the server then wants the access code
// again (400 secret_required), so the stored one never goes to another address.
export function destinationChanged(form: BambuForm, stored: BambuSettings): boolean {
  const before = bambuFormFrom('', stored);
  return (
    form.host.trim() !== before.host ||
    Number(form.port) !== Number(before.port) ||
    JSON.stringify(tlsOf(form)) !== JSON.stringify(tlsOf(before))
  );
}

export interface BuiltSettings {
  settings: BambuSettings; // all of them (new printer) or only the changed ones (edit)
  errors: Record<string, string>; // by BAMBU_FIELDS name, or "name"
}

// Checks the form and builds the settings for POST /printers (stored = undefined) or the patch
// for PATCH /printers/{id} and POST /printers/check with printer_id (only what changed).
export function buildBambuSettings(form: BambuForm, stored?: BambuSettings): BuiltSettings {
  const errors: Record<string, string> = {};
  const host = form.host.trim();
  const serial = form.serial.trim();
  if (!form.name.trim()) errors.name = 'required, e.g. “X1C workshop”';
  else if (form.name.length > 100) errors.name = 'at most 100 characters';
  if (!host) errors.host = 'required: the printer’s IP address or host name';
  else if (host.length > 253 || !HOST.test(host)) errors.host = 'an IPv4 or IPv6 address or a host name, without port or brackets';
  if (!serial) errors.serial = 'required: shown on the printer under Settings › Device';
  else if (serial.length > 64 || !SERIAL.test(serial)) errors.serial = 'letters, digits, - and _ only (at most 64)';
  const port = Number(form.port);
  if (!/^\d+$/.test(form.port.trim()) || port < 1 || port > 65535) errors.port = 'a whole number from 1 to 65535';
  if (form.tlsMode === 'fingerprint' && !FINGERPRINT.test(form.fingerprint.trim())) {
    errors['tls.fingerprint_sha256'] = '64 hex digits, with or without colons';
  }
  if (form.tlsMode === 'ca_file' && (!form.caFile.trim() || form.caFile.length > 4096)) {
    errors['tls.ca_file'] = 'the path of a PEM file on the server';
  }
  const code = form.accessCode;
  if (code) {
    if (code.length > 64 || !ACCESS_CODE.test(code)) errors.access_code = 'printable characters without spaces (at most 64)';
  } else if (!stored) {
    errors.access_code = 'required: shown on the printer under Settings › Network (LAN only mode)';
  } else if (destinationChanged(form, stored)) {
    errors.access_code = 'enter it again: the printer’s address or TLS check changed';
  }

  const full: BambuSettings = { host, serial, port };
  if (code) full.access_code = code;
  if (form.tlsMode !== 'none') full.tls = tlsOf(form);
  if (!stored) return { settings: full, errors };

  const patch: BambuSettings = {};
  const before = bambuFormFrom('', stored);
  if (host !== before.host) patch.host = host;
  if (serial !== before.serial) patch.serial = serial;
  if (port !== Number(before.port)) patch.port = port;
  if (JSON.stringify(tlsOf(form)) !== JSON.stringify(tlsOf(before))) patch.tls = form.tlsMode === 'none' ? null : tlsOf(form);
  if (code) patch.access_code = code;
  return { settings: patch, errors };
}
