import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { useAction } from '../lib/hooks';
import { DialogActions, Field } from './Form';
import { Modal } from './Modal';

// How long the old secret keeps working; the caller names what "none" means for its secret.
const GRACE_CHOICES: { seconds: number; label: string }[] = [
  { seconds: 3600, label: '1 hour' },
  { seconds: 86400, label: '24 hours' },
  { seconds: 7 * 86400, label: '7 days' },
];

// Asks for a grace period and rotates a secret with it (an API key, a webhook signing secret).
// `rotate` closes the dialog through its caller when it succeeds; a refusal is shown here.
export function RotateDialog({
  title,
  noneLabel,
  submitLabel,
  busyLabel = submitLabel,
  rotate,
  onClose,
  children,
}: {
  title: string;
  noneLabel: string;
  submitLabel: string;
  busyLabel?: string;
  rotate: (graceSeconds: number) => Promise<void>;
  onClose: () => void;
  children: ComponentChildren;
}) {
  const [grace, setGrace] = useState(86400);
  const action = useAction();
  return (
    <Modal title={title} onClose={onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void action.run(() => rotate(grace));
        }}
      >
        {children}
        <Field label="Grace period">
          <select value={String(grace)} onChange={(e) => setGrace(Number((e.currentTarget as HTMLSelectElement).value))}>
            {[{ seconds: 0, label: noneLabel }, ...GRACE_CHOICES].map((c) => (
              <option key={c.seconds} value={String(c.seconds)}>
                {c.label}
              </option>
            ))}
          </select>
        </Field>
        <DialogActions
          error={action.error}
          busy={action.busy}
          submitLabel={action.busy ? busyLabel : submitLabel}
          onCancel={onClose}
        />
      </form>
    </Modal>
  );
}
