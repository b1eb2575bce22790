import { useMemo, useState } from 'preact/hooks';
import { api } from '../lib/api';
import { ApiError } from '../lib/errors';
import { useAction } from '../lib/hooks';
import { fieldsFromSchema, initialValues, valuesToSettings, type FormField, type FormValues } from '../lib/schemaForm';
import type { EventInfo, PrinterSummary, Provider, ProviderType } from '../lib/types';
import { CodeText } from './CodeText';
import { DialogActions, Field } from './Form';
import { MessagePreview } from './MessagePreview';
import { Modal } from './Modal';

// Settings the server keeps for itself (a secret being rotated out): never on the form.
const OMIT = ['previous_secret', 'previous_secret_expires_ms'];

// Friendlier names and hints for a few well-known settings; everything else comes from the schema.
const LABELS: Record<string, string> = {
  url: 'Endpoint URL',
  headers: 'Custom headers',
  secret: 'Signing secret',
  smtp_url: 'SMTP server URL',
  starttls: 'STARTTLS',
  to: 'Recipients',
  from: 'From',
};

export const TYPE_NAMES: Record<string, string> = {
  webhook: 'Webhook',
  ntfy: 'ntfy',
  email: 'Email',
  mqtt: 'MQTT',
  discord: 'Discord',
  slack: 'Slack',
  telegram: 'Telegram',
  gotify: 'Gotify',
  pushover: 'Pushover',
  bark: 'Bark',
  homeassistant: 'Home Assistant',
  matrix: 'Matrix',
};

export function typeName(type: string): string {
  return TYPE_NAMES[type] ?? type;
}

// Add or edit a notification provider: name, the type's settings (generated from its JSON Schema),
// events, printers, quiet hours.
export function ProviderForm({
  type,
  provider,
  events,
  printers,
  onClose,
  onSaved,
}: {
  type: ProviderType;
  provider: Provider | null;
  events: EventInfo[];
  printers: PrinterSummary[] | null;
  onClose: () => void;
  onSaved: (saved: Provider) => void;
}) {
  const editing = provider !== null;
  const fields = useMemo(
    () => fieldsFromSchema(type.settings_schema, OMIT).map((f) => ({ ...f, label: LABELS[f.name] ?? f.label })),
    [type],
  );
  const [name, setName] = useState(provider?.name ?? '');
  const [enabled, setEnabled] = useState(provider?.enabled ?? true);
  const [values, setValues] = useState<FormValues>(() => initialValues(fields, provider?.settings));
  const [allEvents, setAllEvents] = useState(provider ? provider.events === null : false);
  const [chosen, setChosen] = useState<string[]>(
    provider?.events ?? ['print_complete', 'print_failed', 'printer_error', 'printer_offline'],
  );
  const [printerIds, setPrinterIds] = useState<number[] | null>(provider?.printer_ids ?? null);
  const [quiet, setQuiet] = useState(
    provider?.quiet_hours ?? { start: '', end: '', timezone: '' },
  );
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<string | null>(null);
  const action = useAction();
  const selectable = events.filter((e) => e.event !== 'test');

  const submit = async (e: Event) => {
    e.preventDefault();
    const { settings, errors } = valuesToSettings(fields, values, editing);
    setFieldErrors(errors);
    if (!name.trim()) return setProblem('Enter a name.');
    if (Object.keys(errors).length > 0) return setProblem('Check the fields marked below.');
    if (!allEvents && chosen.length === 0) return setProblem('Choose at least one event, or “All events”.');
    const hasQuiet = quiet.start !== '' || quiet.end !== '';
    if (hasQuiet && (quiet.start === '' || quiet.end === '')) return setProblem('Quiet hours need a start and an end.');
    setProblem(null);
    const body: Record<string, unknown> = {
      name: name.trim(),
      enabled,
      settings,
      events: allEvents ? null : chosen,
      printer_ids: printerIds,
      quiet_hours: hasQuiet
        ? { start: quiet.start, end: quiet.end, ...(quiet.timezone ? { timezone: quiet.timezone } : {}) }
        : null,
    };
    if (!editing) {
      body.type = type.type;
      if (body.printer_ids === null) delete body.printer_ids;
      if (body.quiet_hours === null) delete body.quiet_hours;
    }
    await action.run(async () => {
      try {
        const saved = editing
          ? await api<Provider>(`/notifications/${provider.id}`, { method: 'PATCH', body })
          : await api<Provider>('/notifications', { method: 'POST', body });
        onSaved(saved);
      } catch (err) {
        // Mark the fields the server named ("settings.topic: ...") next to the inputs too.
        if (err instanceof ApiError) {
          const marks: Record<string, string> = {};
          for (const item of err.errors) {
            const m = item.path?.match(/^settings\.([A-Za-z0-9_]+)/);
            if (m) marks[m[1]] = item.message;
          }
          setFieldErrors(marks);
        }
        throw err;
      }
    });
  };

  const title = editing ? `Edit ${typeName(type.type)} provider` : `Add ${typeName(type.type)} provider`;
  return (
    <Modal title={title} onClose={onClose} wide>
      <form onSubmit={submit} noValidate>
        <p class="muted">{type.description}</p>
        <Field label="Name">
          <input
            type="text"
            value={name}
            required
            placeholder={type.type === 'webhook' ? 'e.g. Home Assistant' : 'e.g. Phone'}
            onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)}
          />
        </Field>
        {fields.map((f) => (
          <SettingField
            key={f.name}
            field={f}
            value={values[f.name]}
            error={fieldErrors[f.name]}
            editing={editing}
            onChange={(v) => setValues({ ...values, [f.name]: v })}
          />
        ))}
        <fieldset class="field">
          <legend>Events</legend>
          <label class="check">
            <input type="checkbox" checked={allEvents} onChange={(e) => setAllEvents((e.currentTarget as HTMLInputElement).checked)} />
            <span>
              <strong>All events</strong>
              <span class="perm-meaning">including ones added in later versions</span>
            </span>
          </label>
          <ul class="event-list">
            {selectable.map((ev) => (
              <li key={ev.event}>
                <label class="check">
                  <input
                    type="checkbox"
                    disabled={allEvents}
                    checked={allEvents || chosen.includes(ev.event)}
                    onChange={(e) => {
                      const on = (e.currentTarget as HTMLInputElement).checked;
                      setChosen(on ? [...chosen, ev.event] : chosen.filter((x) => x !== ev.event));
                    }}
                  />
                  <span>
                    <span class="mono">{ev.event}</span>
                    <span class="perm-meaning">
                      <CodeText text={ev.description} />
                    </span>
                  </span>
                </label>
              </li>
            ))}
          </ul>
          <p class="hint">The Test button always sends a “test” event.</p>
        </fieldset>
        <details class="field">
          <summary>Optional: printers, quiet hours</summary>
          {printers && printers.length > 0 && (
            <fieldset class="field">
              <legend>Printers</legend>
              <label class="check">
                <input
                  type="checkbox"
                  checked={printerIds === null}
                  onChange={(e) => setPrinterIds((e.currentTarget as HTMLInputElement).checked ? null : [])}
                />
                <span>All printers</span>
              </label>
              {printerIds !== null &&
                printers.map((p) => (
                  <label key={p.id} class="check">
                    <input
                      type="checkbox"
                      checked={printerIds.includes(p.id)}
                      onChange={(e) => {
                        const on = (e.currentTarget as HTMLInputElement).checked;
                        setPrinterIds(on ? [...printerIds, p.id] : printerIds.filter((x) => x !== p.id));
                      }}
                    />
                    <span>{p.name}</span>
                  </label>
                ))}
            </fieldset>
          )}
          <fieldset class="field">
            <legend>Quiet hours (not sent, logged as suppressed)</legend>
            <div class="inline-fields">
              <Field label="From">
                <input type="time" value={quiet.start} onInput={(e) => setQuiet({ ...quiet, start: (e.currentTarget as HTMLInputElement).value })} />
              </Field>
              <Field label="Until">
                <input type="time" value={quiet.end} onInput={(e) => setQuiet({ ...quiet, end: (e.currentTarget as HTMLInputElement).value })} />
              </Field>
              <Field label="Time zone">
                <input
                  type="text"
                  value={quiet.timezone ?? ''}
                  placeholder="UTC, Europe/Berlin"
                  onInput={(e) => setQuiet({ ...quiet, timezone: (e.currentTarget as HTMLInputElement).value })}
                />
              </Field>
            </div>
          </fieldset>
        </details>
        <MessagePreview
          events={events}
          saved={editing ? { providerId: provider.id } : { type: type.type }}
          settings={() => {
            const { settings, errors } = valuesToSettings(fields, values, editing);
            setFieldErrors(errors);
            return Object.keys(errors).length > 0 ? null : settings;
          }}
        />
        <label class="check">
          <input type="checkbox" checked={enabled} onChange={(e) => setEnabled((e.currentTarget as HTMLInputElement).checked)} />
          <span>Enabled</span>
        </label>
        <DialogActions
          problem={problem}
          error={action.error}
          busy={action.busy}
          submitLabel={action.busy ? 'Saving…' : editing ? 'Save' : 'Add provider'}
          onCancel={onClose}
        />
      </form>
    </Modal>
  );
}

function SettingField({
  field,
  value,
  error,
  editing,
  onChange,
}: {
  field: FormField;
  value: string | boolean;
  error?: string;
  editing: boolean;
  onChange: (v: string | boolean) => void;
}) {
  const id = `setting-${field.name}`;
  const help = `${id}-help`;
  let hint = field.description;
  if (field.secret && editing) hint = `Leave empty to keep the stored value. ${hint}`;
  else if (field.generated && !editing) hint = `Leave empty to have one generated. ${hint}`;
  if (field.kind === 'map') hint = `One per line as “Name: value”. ${hint}`;
  if (field.kind === 'list') hint = `One per line. ${hint}`;
  if (field.kind === 'json') hint = `JSON. ${hint}`;
  const common = {
    id,
    'aria-describedby': help,
    'aria-invalid': error ? ('true' as const) : undefined,
  };
  const text = typeof value === 'string' ? value : '';
  let control;
  switch (field.kind) {
    case 'checkbox':
      return (
        <div class="field">
          <label class="check" for={id}>
            <input {...common} type="checkbox" checked={value === true} onChange={(e) => onChange((e.currentTarget as HTMLInputElement).checked)} />
            <span>{field.label}</span>
          </label>
          <span id={help} class="hint">
            {hint}
          </span>
        </div>
      );
    case 'select':
      control = (
        <select {...common} value={text} onChange={(e) => onChange((e.currentTarget as HTMLSelectElement).value)}>
          {!field.required && field.defaultValue === undefined && <option value="">(default)</option>}
          {field.options.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      );
      break;
    case 'list':
    case 'map':
    case 'json':
      control = (
        <textarea
          {...common}
          class="mono"
          rows={field.kind === 'json' ? 4 : 3}
          value={text}
          spellcheck={false}
          onInput={(e) => onChange((e.currentTarget as HTMLTextAreaElement).value)}
        />
      );
      break;
    case 'number':
      control = (
        <input
          {...common}
          type="number"
          value={text}
          min={field.minimum}
          max={field.maximum}
          placeholder={field.defaultValue !== undefined ? String(field.defaultValue) : undefined}
          onInput={(e) => onChange((e.currentTarget as HTMLInputElement).value)}
        />
      );
      break;
    default:
      control = (
        <input
          {...common}
          type={field.secret ? 'password' : field.name.includes('url') ? 'url' : 'text'}
          value={text}
          autoComplete="off"
          spellcheck={false}
          placeholder={
            field.secret && editing ? '(unchanged)' : field.defaultValue !== undefined ? String(field.defaultValue) : undefined
          }
          onInput={(e) => onChange((e.currentTarget as HTMLInputElement).value)}
        />
      );
  }
  return (
    <div class="field">
      <label for={id}>
        {field.label}
        {field.required && <span class="required"> (required)</span>}
      </label>
      {control}
      {error && (
        <span class="field-error" role="alert">
          {field.label}: {error}
        </span>
      )}
      <span id={help} class="hint">
        {hint}
      </span>
    </div>
  );
}
