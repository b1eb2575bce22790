import type { ComponentChildren } from 'preact';
import { useId } from 'preact/hooks';
import type { PrinterSummary } from '../lib/types';
import { ErrorBanner } from './ErrorBanner';

// A labelled control: the label wraps it, so the control is named by `label`; `hint` goes below.
export function Field({ label, hint, children }: { label: string; hint?: string; children: ComponentChildren }) {
  return (
    <label class="field">
      <span>{label}</span>
      {children}
      {hint && <span class="hint">{hint}</span>}
    </label>
  );
}

// What the page found wrong with the input before sending it.
export function Problem({ text }: { text: string | null }) {
  if (!text) return null;
  return (
    <p class="problem" role="alert">
      {text}
    </p>
  );
}

// The end of a dialog's form: the input problem, the server's refusal, Cancel and the submit button.
export function DialogActions({
  problem = null,
  error,
  busy,
  submitLabel,
  onCancel,
}: {
  problem?: string | null;
  error: unknown;
  busy: boolean;
  submitLabel: string;
  onCancel: () => void;
}) {
  return (
    <>
      <Problem text={problem} />
      <ErrorBanner error={error} />
      <div class="actions">
        <button type="button" class="btn" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" class="btn btn-primary" disabled={busy}>
          {submitLabel}
        </button>
      </div>
    </>
  );
}

// <option>s whose value is their text.
export function Options({ values }: { values: readonly string[] }) {
  return (
    <>
      {values.map((v) => (
        <option key={v} value={v}>
          {v}
        </option>
      ))}
    </>
  );
}

// One <option> a printer, its id as value.
export function PrinterOptions({ printers }: { printers: readonly PrinterSummary[] }) {
  return (
    <>
      {printers.map((p) => (
        <option key={p.id} value={String(p.id)}>
          {p.name}
        </option>
      ))}
    </>
  );
}

// A list's filter form: its fields, then Apply.
export function FilterForm({
  label,
  onSubmit,
  children,
}: {
  label: string;
  onSubmit: (e: Event) => void;
  children: ComponentChildren;
}) {
  return (
    <form class="filters" aria-label={label} onSubmit={onSubmit}>
      {children}
      <div class="filter-actions">
        <button type="submit" class="btn btn-primary">
          Apply
        </button>
      </div>
    </form>
  );
}

// The From and Until fields of a filter form, as days or as local date and time.
export function PeriodFields({
  type,
  since,
  until,
  onSince,
  onUntil,
}: {
  type: 'date' | 'datetime-local';
  since: string;
  until: string;
  onSince: (e: Event) => void;
  onUntil: (e: Event) => void;
}) {
  return (
    <>
      <Field label="From">
        <input type={type} value={since} onInput={onSince} />
      </Field>
      <Field label="Until">
        <input type={type} value={until} onInput={onUntil} />
      </Field>
    </>
  );
}

// A labelled control with the problem found in it (by the page or the server) shown under it.
// `children` gets the control's id and the id of its description, to set on the control.
export function CheckedField({
  label,
  hint,
  error,
  required = false,
  children,
}: {
  label: string;
  hint?: string;
  error?: string;
  required?: boolean;
  children: (ids: { id: string; describedBy: string }) => ComponentChildren;
}) {
  const id = useId();
  const help = `${id}-help`;
  return (
    <div class={error ? 'field field-invalid' : 'field'}>
      <label for={id}>
        {label}
        {required && <span class="required"> (required)</span>}
      </label>
      {children({ id, describedBy: help })}
      {error && (
        <span class="field-error" role="alert">
          {label}: {error}
        </span>
      )}
      {hint && (
        <span id={help} class="hint">
          {hint}
        </span>
      )}
    </div>
  );
}
