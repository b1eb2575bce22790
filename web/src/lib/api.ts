// Same-origin calls to the REST API with the signed-in key in X-API-Key. Every failure becomes an
// ApiError carrying the API's `detail`, so screens can show it.
import { ApiError, apiErrorFrom } from './errors';
import { storedKey } from './session';

type Listener = (err: ApiError) => void;
const unauthorizedListeners = new Set<Listener>();

// Called on every 401 answer, so the app can send the user back to sign-in.
export function onUnauthorized(listener: Listener): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  key?: string; // overrides the stored key (sign-in checks a key before storing it)
  signal?: AbortSignal;
  quiet401?: boolean; // do not notify the unauthorized listeners
}

export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const key = options.key ?? storedKey();
  if (key) headers['X-API-Key'] = key;
  let body: string | undefined;
  if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  let response: Response;
  try {
    response = await fetch(`/api/v1${path}`, {
      method: options.method ?? 'GET',
      headers,
      body,
      signal: options.signal,
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', e instanceof Error ? e.message : String(e));
  }
  const text = await response.text();
  if (!response.ok) {
    const err = apiErrorFrom(response.status, text, response.headers.get('Retry-After'));
    if (err.status === 401 && !options.quiet401) unauthorizedListeners.forEach((l) => l(err));
    throw err;
  }
  if (!text) return undefined as T;
  return JSON.parse(text) as T;
}

// Downloads a binary answer (3MF, thumbnail) with the key in the header, as a Blob.
export async function apiBlob(path: string): Promise<Blob> {
  const key = storedKey();
  const response = await fetch(`/api/v1${path}`, {
    headers: key ? { 'X-API-Key': key } : {},
    credentials: 'omit',
  });
  if (!response.ok) {
    throw apiErrorFrom(response.status, await response.text(), response.headers.get('Retry-After'));
  }
  return response.blob();
}

// Uploads a file as the raw request body with progress (fetch cannot report upload progress).
export function apiUpload<T>(path: string, file: Blob, onProgress: (fraction: number) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api/v1${path}`);
    const key = storedKey();
    if (key) xhr.setRequestHeader('X-API-Key', key);
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        try {
          resolve(JSON.parse(xhr.responseText) as T);
        } catch {
          resolve(undefined as T);
        }
      } else {
        reject(apiErrorFrom(xhr.status, xhr.responseText, xhr.getResponseHeader('Retry-After')));
      }
    };
    xhr.onerror = () => reject(new ApiError(0, 'network', 'the upload was interrupted'));
    xhr.send(file);
  });
}

export interface ListAnswer<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

// Builds "?a=1&b=x" from the set values only.
export function query(params: Record<string, string | number | boolean | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== null && v !== undefined && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}
