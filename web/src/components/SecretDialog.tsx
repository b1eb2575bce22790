import { useRef, useState } from 'preact/hooks';
import { Modal } from './Modal';

// Shows a secret (an API key, a webhook signing secret) the one time the server returns it. The
// caller drops the secret from its state in onClose, so it cannot be shown again.
export function SecretDialog({
  title,
  label,
  secret,
  warning,
  warningTitle = 'Save your key',
  onClose,
}: {
  title: string;
  label: string;
  secret: string;
  warning: string;
  warningTitle?: string;
  onClose: () => void;
}) {
  const input = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<'no' | 'yes' | 'failed'>('no');
  const copy = async () => {
    try {
      if (navigator.clipboard && window.isSecureContext) {
        await navigator.clipboard.writeText(secret);
      } else {
        // Plain http on a LAN address: the Clipboard API is unavailable there.
        input.current?.select();
        if (!document.execCommand('copy')) throw new Error('copy refused');
      }
      setCopied('yes');
    } catch {
      input.current?.select();
      setCopied('failed');
    }
  };
  return (
    <Modal title={title} onClose={onClose}>
      <div class="banner banner-warning" role="note">
        <div class="banner-body">
          <strong>{warningTitle}</strong>
          <p>{warning}</p>
        </div>
      </div>
      <div class="field">
        <label for="shown-secret">{label}</label>
        <div class="copy-row">
          <input
            id="shown-secret"
            ref={input}
            class="mono secret-value"
            type="text"
            readOnly
            value={secret}
            spellcheck={false}
            autoComplete="off"
            onFocus={(e) => (e.currentTarget as HTMLInputElement).select()}
          />
          <button type="button" class="btn btn-primary" onClick={copy}>
            Copy
          </button>
        </div>
      </div>
      <p class="hint" aria-live="polite">
        {copied === 'yes' && 'Copied to the clipboard.'}
        {copied === 'failed' && 'Copying is not allowed here: the text is selected, press Ctrl+C (⌘C).'}
      </p>
      <div class="actions">
        <button type="button" class="btn" onClick={onClose}>
          I have saved it, close
        </button>
      </div>
    </Modal>
  );
}

export const SECRET_WARNING =
  'The signing secret is shown only this once. Store it with the receiver now; it cannot be shown again (rotate it to get a new one).';

// A webhook provider's signing secret, when adding the provider or rotating its secret.
export function SigningSecretDialog({ title, secret, onClose }: { title: string; secret: string; onClose: () => void }) {
  return (
    <SecretDialog
      title={title}
      label="Webhook signing secret"
      secret={secret}
      warning={SECRET_WARNING}
      warningTitle="Save the secret"
      onClose={onClose}
    />
  );
}
