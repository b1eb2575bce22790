import { formatDateTime } from '../lib/format';
import type { Delivery } from '../lib/types';
import { Modal } from './Modal';

const STATUS_CLASS: Record<string, string> = {
  delivered: 'badge-ok',
  failed: 'badge-bad',
  retrying: 'badge-warn',
  pending: 'badge-info',
  suppressed: 'badge-off',
  cancelled: 'badge-off',
};

export function DeliveryStatus({ status }: { status: string }) {
  return <span class={`badge ${STATUS_CLASS[status] ?? 'badge-info'}`}>{status}</span>;
}

// One delivery's outcome, as answered by the test button.
export function DeliveryResult({ delivery: d }: { delivery: Delivery }) {
  const ok = d.status === 'delivered';
  return (
    <div class={ok ? 'banner banner-success' : 'banner banner-error'} role="status">
      <div class="banner-body">
        <strong>
          {ok ? 'Delivered' : `Not delivered: ${d.status}`}
          {d.http_status !== null && ` (HTTP ${d.http_status})`}
        </strong>
        {d.error && <p>{d.error}</p>}
        {d.response_snippet && (
          <p>
            Receiver answered: <span class="mono">{d.response_snippet}</span>
          </p>
        )}
        <p class="small muted">
          Event {d.event} · {d.attempts} attempt{d.attempts === 1 ? '' : 's'} · {formatDateTime(d.updated_at)}
          {d.next_attempt_at && ` · next attempt ${formatDateTime(d.next_attempt_at)}`}
        </p>
      </div>
    </div>
  );
}

// The answer of the Test button, in a dialog.
export function DeliveryResultDialog({ title, delivery, onClose }: { title: string; delivery: Delivery; onClose: () => void }) {
  return (
    <Modal title={title} onClose={onClose}>
      <DeliveryResult delivery={delivery} />
      <div class="actions">
        <button type="button" class="btn" onClick={onClose}>
          Close
        </button>
      </div>
    </Modal>
  );
}
