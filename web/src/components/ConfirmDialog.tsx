import type { ComponentChildren } from 'preact';
import { useAction } from '../lib/hooks';
import { ErrorBanner } from './ErrorBanner';
import { Modal } from './Modal';

// Asks before doing something that cannot be undone; shows the API's answer if it fails.
export function ConfirmDialog({
  title,
  children,
  confirmLabel,
  danger = true,
  onConfirm,
  onClose,
}: {
  title: string;
  children: ComponentChildren;
  confirmLabel: string;
  danger?: boolean;
  onConfirm: () => Promise<void>;
  onClose: () => void;
}) {
  const { busy, error, run } = useAction();
  return (
    <Modal title={title} onClose={onClose}>
      <div class="confirm-text">{children}</div>
      <ErrorBanner error={error} />
      <div class="actions">
        <button type="button" class="btn" onClick={onClose} disabled={busy}>
          Cancel
        </button>
        <button
          type="button"
          class={danger ? 'btn btn-danger' : 'btn btn-primary'}
          disabled={busy}
          onClick={() =>
            run(async () => {
              await onConfirm();
              onClose();
            })
          }
        >
          {busy ? 'Working…' : confirmLabel}
        </button>
      </div>
    </Modal>
  );
}
