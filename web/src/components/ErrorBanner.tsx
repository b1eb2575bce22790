import type { ComponentChildren } from 'preact';
import { explainError } from '../lib/errors';

// A failed request, in plain words plus the API's own `detail`.
export function ErrorBanner({ error, onDismiss }: { error: unknown; onDismiss?: () => void }) {
  if (!error) return null;
  const { title, hint, detail } = explainError(error);
  return (
    <div class="banner banner-error" role="alert">
      <div class="banner-body">
        <strong>{title}</strong>
        {hint && <p>{hint}</p>}
        <p class="banner-detail">
          Server said: <span class="mono">{detail}</span>
        </p>
      </div>
      {onDismiss && (
        <button type="button" class="btn-icon" aria-label="Dismiss error" onClick={onDismiss}>
          ×
        </button>
      )}
    </div>
  );
}

export function Notice({ children, kind = 'info' }: { children: ComponentChildren; kind?: 'info' | 'success' | 'warning' }) {
  return (
    <div class={`banner banner-${kind}`} role="status">
      <div class="banner-body">{children}</div>
    </div>
  );
}
