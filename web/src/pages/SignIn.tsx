import { useState } from 'preact/hooks';
import { api } from '../lib/api';
import { keyShapeProblem, storeKey } from '../lib/session';
import type { Me } from '../lib/types';
import { ErrorBanner } from '../components/ErrorBanner';

// Paste an API key; it is checked with GET /api/v1/auth/me and kept in this tab's sessionStorage.
export function SignIn({ error, onSignedIn }: { error: unknown; onSignedIn: (me: Me) => void }) {
  const [key, setKey] = useState('');
  const [show, setShow] = useState(false);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<unknown>(error);
  const [shapeProblem, setShapeProblem] = useState<string | null>(null);

  const submit = async (e: Event) => {
    e.preventDefault();
    const trimmed = key.trim();
    const problem = keyShapeProblem(trimmed);
    setShapeProblem(problem);
    if (problem) return;
    setBusy(true);
    setFailure(null);
    try {
      const me = await api<Me>('/auth/me', { key: trimmed, quiet401: true });
      storeKey(trimmed);
      setKey('');
      onSignedIn(me);
    } catch (err) {
      setFailure(err);
      setBusy(false);
    }
  };

  return (
    <main class="signin" id="main">
      <form class="card signin-card" onSubmit={submit} noValidate>
        <h1>Sign in to Bambuddy</h1>
        <p>
          Paste an API key. It stays in this browser tab only and is forgotten when you close the tab or sign
          out.
        </p>
        <label class="field" for="api-key">
          <span>API key</span>
        </label>
        <div class="copy-row">
          <input
            id="api-key"
            class="mono"
            type={show ? 'text' : 'password'}
            value={key}
            autoComplete="off"
            spellcheck={false}
            placeholder="bb_…"
            aria-invalid={shapeProblem ? 'true' : undefined}
            aria-describedby="api-key-help"
            onInput={(e) => setKey((e.currentTarget as HTMLInputElement).value)}
          />
          <button
            type="button"
            class="btn"
            aria-pressed={show}
            onClick={() => setShow(!show)}
          >
            {show ? 'Hide' : 'Show'}
          </button>
        </div>
        <p id="api-key-help" class="hint">
          {shapeProblem ?? (
            <>
              The first admin key is in <span class="mono">data/admin-api-key</span> on the server (or the key set
              in <span class="mono">BAMBUDDY_ADMIN_KEY</span>).
            </>
          )}
        </p>
        <ErrorBanner error={failure} />
        <div class="actions">
          <button type="submit" class="btn btn-primary" disabled={busy}>
            {busy ? 'Checking…' : 'Sign in'}
          </button>
        </div>
      </form>
    </main>
  );
}
