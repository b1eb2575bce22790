// Which form field a refused request's problems belong to, so each is shown next to its input.
// The server names fields in a few forms: `errors` items with a path ("settings.topic"), problem
// strings that start with the path ("default_rate_limits.read: must be at most 1000000",
// "progress_milestones[1]: ..."), a detail listing "settings: host: ...; port: ..." and, for
// secret_required, `fields` (["settings.access_code"]).
import { ApiError } from './errors';

// The first known field named by `path` ("settings.tls.fingerprint_sha256" → "tls.fingerprint_sha256"
// when that is a field, else "tls"), after dropping `prefix` ("settings").
function fieldOf(path: string, known: readonly string[], prefix: string): string | null {
  let p = path.trim().replace(/^\//, '').replace(/\//g, '.').replace(/\[\d+\]/g, '');
  if (prefix && p.startsWith(`${prefix}.`)) p = p.slice(prefix.length + 1);
  const parts = p.split('.');
  for (let n = parts.length; n > 0; n -= 1) {
    const candidate = parts.slice(0, n).join('.');
    if (known.includes(candidate)) return candidate;
  }
  return null;
}

// One message per field (the first one the server gave). Problems that name no known field are
// left out: the error banner shows the whole detail anyway.
export function fieldErrorsFrom(err: unknown, known: readonly string[], prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  if (!(err instanceof ApiError)) return out;
  const put = (path: string, message: string) => {
    const field = fieldOf(path, known, prefix);
    if (field && !(field in out)) out[field] = message.trim();
  };
  const splitLine = (line: string) => {
    const m = line.match(/^\s*([A-Za-z0-9_.[\]/]+):\s*(.+)$/s);
    if (m) put(m[1], m[2]);
  };
  for (const item of err.errors) {
    if (item.path) put(item.path, item.message);
    else splitLine(item.message);
  }
  for (const f of err.fields) {
    put(f, err.code === 'secret_required' ? 'enter it again: the connection settings changed' : err.detail);
  }
  // "settings: host: bad; port: bad" or "name: must not be empty"
  let detail = err.detail;
  if (prefix && detail.startsWith(`${prefix}: `)) detail = detail.slice(prefix.length + 2);
  for (const line of detail.split('; ')) splitLine(line);
  return out;
}
