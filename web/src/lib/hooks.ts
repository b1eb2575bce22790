// Small hooks: load once (with reload), poll in place without clearing what is shown, run a user
// action, keep a paged list's filter form.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { runAction } from './action';

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => Promise<void>;
}

// Runs `load` when `deps` change and on reload(). Old data stays visible while reloading, so the
// screen does not flash; an error keeps the last data too.
export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[]): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const loadRef = useRef(load);
  loadRef.current = load;
  const controller = useRef<AbortController | null>(null);

  const run = useCallback(async () => {
    controller.current?.abort();
    const c = new AbortController();
    controller.current = c;
    setLoading(true);
    try {
      const value = await loadRef.current(c.signal);
      if (!c.signal.aborted) {
        setData(value);
        setError(null);
      }
    } catch (e) {
      if (!c.signal.aborted && !(e instanceof DOMException && e.name === 'AbortError')) setError(e);
    } finally {
      if (!c.signal.aborted) setLoading(false);
    }
  }, []);

  useEffect(() => {
    void run();
    return () => controller.current?.abort();
    // Only the caller-given deps restart the load; `run` itself never changes.
  }, deps);

  return { data, error, loading, reload: run };
}

// Like useLoad, and again every `intervalMs` after the previous answer (never overlapping), while
// the tab is visible.
export function usePolling<T>(load: (signal: AbortSignal) => Promise<T>, intervalMs: number, deps: unknown[]): Loaded<T> {
  const loaded = useLoad(load, deps);
  const { reload, loading } = loaded;
  useEffect(() => {
    if (loading) return undefined;
    const timer = window.setTimeout(() => {
      if (document.visibilityState === 'visible') void reload();
    }, intervalMs);
    return () => window.clearTimeout(timer);
  }, [loading, reload, intervalMs]);
  // A hidden tab skips its turn; when it becomes visible again, refresh at once.
  useEffect(() => {
    const onVisible = () => {
      if (document.visibilityState === 'visible') void reload();
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => document.removeEventListener('visibilitychange', onVisible);
  }, [reload]);
  return loaded;
}

export interface Action {
  busy: boolean;
  error: unknown;
  setError: (error: unknown) => void;
  run: (fn: () => Promise<void>) => Promise<void>;
}

// A user action's busy flag and last failure (see runAction); run() never throws.
export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = useCallback((fn: () => Promise<void>) => runAction(fn, { setBusy, setError }), []);
  return { busy, error, setError, run };
}

export interface FilterForm<T> {
  filters: T;
  set: (key: keyof T) => (e: Event) => void;
  applied: T;
  apply: (e: Event) => void;
  offset: number;
  setOffset: (offset: number) => void;
}

// A paged list's filter form: what is typed, what was last applied (by submitting the form, which
// goes back to the first page) and the page offset.
export function useFilterForm<T extends Record<keyof T, string>>(initial: T): FilterForm<T> {
  const [filters, setFilters] = useState<T>(initial);
  const [applied, setApplied] = useState<T>(initial);
  const [offset, setOffset] = useState(0);
  const set = (key: keyof T) => (e: Event) =>
    setFilters({ ...filters, [key]: (e.currentTarget as HTMLInputElement | HTMLSelectElement).value });
  const apply = (e: Event) => {
    e.preventDefault();
    setOffset(0);
    setApplied({ ...filters });
  };
  return { filters, set, applied, apply, offset, setOffset };
}
