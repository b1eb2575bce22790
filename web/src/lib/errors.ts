import { permissionLabel } from './permissions';

// Errors from the API as one type, and the plain-words explanation of the answers an operator can
// fix (the API Keys page's Troubleshooting section).

// One problem of a refused body, as the API lists them under `errors` (path like "settings.topic").
export interface ErrorItem {
  path: string | null;
  message: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly required: string | null;
  readonly retryAfterS: number | null;
  readonly errors: ErrorItem[];
  // Fields the server names as needing a value again (400 secret_required: "settings.access_code").
  readonly fields: string[];
  // The whole JSON body of the answer, for fields only some errors carry (invalid_plate: plates).
  readonly body: Record<string, unknown>;

  constructor(
    status: number,
    code: string,
    detail: string,
    extra: {
      required?: string | null;
      retryAfterS?: number | null;
      errors?: ErrorItem[];
      fields?: string[];
      body?: Record<string, unknown>;
    } = {},
  ) {
    super(detail || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.detail = detail;
    this.required = extra.required ?? null;
    this.retryAfterS = extra.retryAfterS ?? null;
    this.errors = extra.errors ?? [];
    this.fields = extra.fields ?? [];
    this.body = extra.body ?? {};
  }
}

// Builds an ApiError from a failed answer's status, body text and Retry-After header.
export function apiErrorFrom(status: number, bodyText: string, retryAfter: string | null): ApiError {
  let detail = '';
  let code = '';
  let required: string | null = null;
  let errors: ErrorItem[] = [];
  let fields: string[] = [];
  let whole: Record<string, unknown> = {};
  try {
    const body: unknown = JSON.parse(bodyText);
    if (body && typeof body === 'object' && !Array.isArray(body)) {
      const b = body as Record<string, unknown>;
      whole = b;
      if (typeof b.detail === 'string') detail = b.detail;
      if (typeof b.code === 'string') code = b.code;
      if (typeof b.required === 'string') required = b.required;
      if (Array.isArray(b.fields)) fields = b.fields.filter((f): f is string => typeof f === 'string');
      if (Array.isArray(b.errors)) {
        errors = b.errors.map((e): ErrorItem => {
          if (typeof e === 'string') return { path: null, message: e };
          const item = (e ?? {}) as Record<string, unknown>;
          return {
            path: typeof item.path === 'string' ? item.path : null,
            message: typeof item.message === 'string' ? item.message : JSON.stringify(e),
          };
        });
      }
    }
  } catch {
    detail = bodyText.trim().slice(0, 300);
  }
  if (!detail) detail = `HTTP ${status}`;
  const seconds = retryAfter !== null && /^\d+$/.test(retryAfter.trim()) ? Number(retryAfter.trim()) : null;
  return new ApiError(status, code, detail, { required, retryAfterS: seconds, errors, fields, body: whole });
}

// What went wrong and what to do, for people. The API's detail is always part of it.
export function explainError(err: unknown): { title: string; hint: string; detail: string } {
  if (!(err instanceof ApiError)) {
    const text = err instanceof Error ? err.message : String(err);
    return {
      title: 'The server could not be reached',
      hint: 'Check that Bambuddy is running and this page is served by it, then try again.',
      detail: text,
    };
  }
  const detail = err.detail;
  if (err.status === 401) {
    const hints: Record<string, string> = {
      missing_api_key: 'No API key was sent. Sign in with a key.',
      invalid_api_key:
        'Check the key is correct and complete. It may have been deleted, or rotated and its grace period is over.',
      api_key_expired: 'The key has expired. An admin can extend it or create a new one.',
      api_key_disabled: 'The key is disabled. An admin can enable it again under Settings > API Keys.',
      ip_not_allowed: 'The key may not be used from this address (its allowed IPs list).',
    };
    return {
      title: 'Not signed in (401 Unauthorized)',
      hint: hints[err.code] ?? 'Check the API key is correct and has not been revoked.',
      detail,
    };
  }
  if (err.status === 403) {
    const what = err.required ? ` It needs “${permissionLabel(err.required)}”.` : '';
    return {
      title: 'Not allowed (403 Forbidden)',
      hint: `This API key lacks the permission for this action.${what} Ask an admin for a key that has it.`,
      detail,
    };
  }
  if (err.status === 429) {
    const wait = err.retryAfterS !== null ? ` Wait ${err.retryAfterS} s and try again.` : ' Wait a moment and try again.';
    return {
      title: 'Too many requests (429)',
      hint: `The key's rate limit was exceeded.${wait} If this keeps happening, check for runaway automation using the same key.`,
      detail,
    };
  }
  if (err.status === 0) {
    return { title: 'The server could not be reached', hint: 'Check that Bambuddy is running, then try again.', detail };
  }
  // Problems the detail does not already spell out, one per line.
  const more = err.errors
    .map((e) => (e.path ? `${e.path}: ${e.message}` : e.message))
    .filter((line) => !detail.includes(line));
  return { title: `Request failed (${err.status})`, hint: '', detail: [detail, ...more].join('\n') };
}
