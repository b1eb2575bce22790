// Small data hooks: load once (with reload), and poll in place without clearing what is shown.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

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
