import { useEffect, useState } from 'preact/hooks';
import { api } from '../lib/api';
import { fieldErrorsFrom } from '../lib/fieldErrors';
import { useAction, useLoad } from '../lib/hooks';
import { useCan } from '../lib/me';
import { buildSettingsPatch, SETTINGS_FIELD_PATHS, settingsToForm, type SettingsForm } from '../lib/settingsForm';
import type { ServerSettings } from '../lib/types';
import { ErrorBanner, Notice } from '../components/ErrorBanner';
import { CheckedField, Problem } from '../components/Form';

type Errors = Partial<Record<keyof SettingsForm, string>>;

// Settings > General: every run-time setting (GET/PATCH /settings). Changes take effect at once.
export function SettingsPage() {
  const loaded = useLoad((signal) => api<ServerSettings>('/settings', { signal }), []);
  const canWrite = useCan('settings:write');
  const [form, setForm] = useState<SettingsForm | null>(null);
  const [errors, setErrors] = useState<Errors>({});
  const [problem, setProblem] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const action = useAction();

  useEffect(() => {
    if (loaded.data && !form) setForm(settingsToForm(loaded.data));
  }, [loaded.data]);

  if (!loaded.data || !form) {
    return (
      <section>
        <h1>
          <span class="crumb">Settings › </span>General
        </h1>
        {loaded.error ? <ErrorBanner error={loaded.error} /> : <p>Loading settings…</p>}
      </section>
    );
  }
  const current = loaded.data;
  const set = (key: keyof SettingsForm) => (e: Event) => {
    setSaved(null);
    setForm({ ...form, [key]: (e.currentTarget as HTMLInputElement).value });
    if (errors[key]) setErrors({ ...errors, [key]: undefined });
  };

  const submit = (e: Event) => {
    e.preventDefault();
    const built = buildSettingsPatch(form, current);
    setErrors(built.errors);
    setSaved(null);
    if (Object.keys(built.errors).length > 0) return setProblem('Check the fields marked below.');
    setProblem(null);
    if (Object.keys(built.patch).length === 0) return setSaved('Nothing changed.');
    void action.run(async () => {
      try {
        const next = await api<ServerSettings>('/settings', { method: 'PATCH', body: built.patch });
        setForm(settingsToForm(next));
        await loaded.reload();
        setSaved('Saved. The new settings apply now.');
      } catch (err) {
        // The server's problems ("default_rate_limits.read: ...") next to their fields.
        const byPath = fieldErrorsFrom(err, Object.values(SETTINGS_FIELD_PATHS));
        const marks: Errors = {};
        for (const [field, path] of Object.entries(SETTINGS_FIELD_PATHS) as [keyof SettingsForm, string][]) {
          if (byPath[path]) marks[field] = byPath[path];
        }
        setErrors(marks);
        throw err;
      }
    });
  };

  const text = (key: keyof SettingsForm, props: Record<string, unknown> = {}) =>
    ({ id, describedBy }: { id: string; describedBy: string }) => (
      <input
        id={id}
        aria-describedby={describedBy}
        type="text"
        value={form[key]}
        disabled={!canWrite}
        onInput={set(key)}
        {...props}
      />
    );

  return (
    <section>
      <div class="page-head">
        <h1>
          <span class="crumb">Settings › </span>General
        </h1>
      </div>
      <p class="muted">
        Run-time settings; <span class="mono">bambuddy.yaml</span> gives their defaults. Changes apply at once, without a
        restart.
      </p>
      {!canWrite && <Notice>Your key may read these settings; changing them needs “Write Settings”.</Notice>}
      <form onSubmit={submit} noValidate aria-label="Server settings" class="settings-form">
        <fieldset class="field">
          <legend>Printer events</legend>
          <CheckedField
            label="Progress milestones (%)"
            error={errors.progress_milestones}
            hint="print_progress fires once per print at each of these percentages (1–99, comma separated, at most 20). Empty: never."
          >
            {text('progress_milestones', { placeholder: '25, 50, 75', inputMode: 'numeric' })}
          </CheckedField>
          <CheckedField
            label="Offline after (seconds)"
            error={errors.offline_debounce_s}
            hint="printer_offline fires only after a printer was unreachable this long (0–86400)."
          >
            {text('offline_debounce_s', { type: 'number', min: 0, max: 86400, step: 'any' })}
          </CheckedField>
        </fieldset>
        <fieldset class="field">
          <legend>Default rate limits (requests per minute per key)</legend>
          <p class="hint">For keys without their own limits; 1–1000000 each.</p>
          <div class="inline-fields">
            <CheckedField label="Read" error={errors.rate_read}>
              {text('rate_read', { type: 'number', min: 1, max: 1000000 })}
            </CheckedField>
            <CheckedField label="Write" error={errors.rate_write}>
              {text('rate_write', { type: 'number', min: 1, max: 1000000 })}
            </CheckedField>
            <CheckedField label="Control" error={errors.rate_control}>
              {text('rate_control', { type: 'number', min: 1, max: 1000000 })}
            </CheckedField>
          </div>
        </fieldset>
        <fieldset class="field">
          <legend>Costs and display</legend>
          <CheckedField
            label="Filament cost per kg"
            error={errors.filament_cost_per_kg}
            hint="In the currency below, for the cost statistics; 0 = not set (0–100000)."
          >
            {text('filament_cost_per_kg', { type: 'number', min: 0, max: 100000, step: 'any' })}
          </CheckedField>
          <CheckedField label="Currency" error={errors.currency} hint="ISO 4217 code: three capital letters, e.g. EUR, USD, CHF.">
            {text('currency', { maxLength: 3, autoComplete: 'off' })}
          </CheckedField>
          <CheckedField
            label="Time zone"
            error={errors.time_zone}
            hint="IANA name such as Europe/Berlin, for showing times; the API always speaks UTC."
          >
            {text('time_zone', { maxLength: 64, autoComplete: 'off', spellcheck: false })}
          </CheckedField>
        </fieldset>
        <Problem text={problem} />
        <ErrorBanner error={action.error} />
        {saved && <Notice kind="success">{saved}</Notice>}
        {canWrite && (
          <div class="actions">
            <button
              type="button"
              class="btn"
              disabled={action.busy}
              onClick={() => {
                setForm(settingsToForm(current));
                setErrors({});
                setProblem(null);
                setSaved(null);
                action.setError(null);
              }}
            >
              Reset
            </button>
            <button type="submit" class="btn btn-primary" disabled={action.busy}>
              {action.busy ? 'Saving…' : 'Save settings'}
            </button>
          </div>
        )}
      </form>
    </section>
  );
}
