import { useState } from 'preact/hooks';
import { api } from '../lib/api';
import { useAction } from '../lib/hooks';
import { previewBody, shownPreview, type PreviewAnswer, type PreviewShown } from '../lib/messagePreview';
import type { EventInfo } from '../lib/types';
import { ErrorBanner } from './ErrorBanner';

// The provider form's preview: the message this provider would send for an event, rendered by its
// plugin from the settings as they stand in the form (templates included). Nothing is sent.
export function MessagePreview({
  events,
  settings,
  saved,
}: {
  events: EventInfo[];
  settings: () => Record<string, unknown> | null; // null: the form has errors to fix first
  saved: { providerId: number } | { type: string };
}) {
  const [event, setEvent] = useState(events.some((e) => e.event === 'print_complete') ? 'print_complete' : events[0]?.event ?? 'test');
  const [shown, setShown] = useState<PreviewShown | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const action = useAction();

  const show = async () => {
    const current = settings();
    if (current === null) {
      setProblem('Check the fields marked above first.');
      return;
    }
    setProblem(null);
    await action.run(async () => {
      const answer = await api<PreviewAnswer>('/notifications/preview', {
        method: 'POST',
        body: previewBody(event, current, saved),
      });
      setShown(shownPreview(answer));
    });
  };

  return (
    <fieldset class="field message-preview">
      <legend>Preview</legend>
      <div class="inline-fields">
        <label for="preview-event">Event</label>
        <select id="preview-event" value={event} onChange={(e) => setEvent((e.currentTarget as HTMLSelectElement).value)}>
          {events.map((ev) => (
            <option key={ev.event} value={ev.event}>
              {ev.event}
            </option>
          ))}
        </select>
        <button type="button" class="secondary" disabled={action.busy} onClick={show}>
          {action.busy ? 'Rendering…' : 'Show preview'}
        </button>
      </div>
      <p class="hint">The message as this provider would send it, with the event’s sample data. Nothing is sent.</p>
      {problem && <p class="field-error">{problem}</p>}
      {action.error && <ErrorBanner error={action.error} />}
      {shown && (
        <div class="preview-card" aria-live="polite">
          {shown.title && <strong class="preview-title">{shown.title}</strong>}
          <pre class="preview-message">{shown.message}</pre>
          {shown.extras.length > 0 && (
            <dl class="preview-extras">
              {shown.extras.map(([name, value]) => (
                <div key={name}>
                  <dt>{name}</dt>
                  <dd>
                    <pre>{value}</pre>
                  </dd>
                </div>
              ))}
            </dl>
          )}
        </div>
      )}
    </fieldset>
  );
}
