import { useState } from 'preact/hooks';
import { api, type ListAnswer } from '../lib/api';
import { ApiError } from '../lib/errors';
import { fieldErrorsFrom } from '../lib/fieldErrors';
import { formatAgo, stateLabel } from '../lib/format';
import { useAction, useLoad, usePolling } from '../lib/hooks';
import { useCan } from '../lib/me';
import { checkConnection, checkReasonText } from '../lib/printerCheck';
import {
  BAMBU_FIELDS,
  bambuFormFrom,
  buildBambuSettings,
  destinationChanged,
  emptyBambuForm,
  type BambuForm,
  type TlsMode,
} from '../lib/printerForm';
import { plateClearChoiceOf, plateClearDefault, plateClearValue, type PlateClearChoice } from '../lib/printJob';
import type { ConnectionCheck, PrinterDetails, PrinterSummary } from '../lib/types';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { DataTable } from '../components/DataTable';
import { ErrorBanner } from '../components/ErrorBanner';
import { CheckedField, Problem } from '../components/Form';
import { Modal } from '../components/Modal';

const POLL_MS = 5000;
const SIM_DRIVER = 'printer.sim';
const BAMBU_DRIVER = 'printer.bambu';

export function driverLabel(driver: string): string {
  if (driver === BAMBU_DRIVER) return 'Bambu Lab';
  if (driver === SIM_DRIVER) return 'Simulated';
  return driver;
}

// Settings > Printers: the printers with their connection; admins add, edit and remove them.
export function Printers() {
  const printers = usePolling((signal) => api<ListAnswer<PrinterSummary>>('/printers?limit=1000', { signal }), POLL_MS, []);
  const admin = useCan('admin');
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<PrinterSummary | null>(null);
  const [removing, setRemoving] = useState<PrinterSummary | null>(null);
  const [gateError, setGateError] = useState<unknown>(null);
  const items = printers.data?.items ?? [];
  return (
    <section>
      <div class="page-head">
        <h1>
          <span class="crumb">Settings › </span>Printers
        </h1>
        {admin && (
          <button type="button" class="btn btn-primary" onClick={() => setAdding(true)}>
            Add printer
          </button>
        )}
      </div>
      <p class="muted">
        Bambu Lab printers are reached over the local network (LAN mode): the printer’s address, its serial number and
        the access code shown on its screen. Printers declared in <span class="mono">bambuddy.yaml</span> are changed
        there.
      </p>
      <ErrorBanner error={printers.error} />
      <ErrorBanner error={gateError} onDismiss={() => setGateError(null)} />
      {!printers.data && !printers.error && <p>Loading printers…</p>}
      {printers.data && items.length === 0 && <p class="empty">No printers yet.</p>}
      {items.length > 0 && (
        <DataTable caption="Printers" columns={['Name', 'Type', 'Connection', 'State', 'Model', 'Managed', 'Clear-bed check']} actions={admin}>
          {items.map((p) => (
            <tr key={p.id}>
              <th scope="row" data-label="Name">
                {p.name}
              </th>
              <td data-label="Type">
                {p.driver === SIM_DRIVER ? (
                  <span class="badge badge-info" title="A simulated printer (printer.sim) for trying Bambuddy out">
                    Simulated
                  </span>
                ) : (
                  driverLabel(p.driver)
                )}
              </td>
              <td data-label="Connection">
                {p.status.connected ? (
                  <span class="badge badge-ok">Online</span>
                ) : (
                  <>
                    <span class="badge badge-bad">Offline</span>
                    {p.status.connection_error && <div class="muted small">{p.status.connection_error}</div>}
                  </>
                )}
              </td>
              <td data-label="State">
                {stateLabel(p.status.state)}
                {p.status.updated_at && <div class="muted small">reported {formatAgo(p.status.updated_at)}</div>}
              </td>
              <td data-label="Model">{p.model ?? '—'}</td>
              <td data-label="Managed">{p.source === 'config' ? 'config file' : 'here'}</td>
              <td data-label="Clear-bed check">
                <PlateClearGate printer={p} canChange={admin} onError={setGateError} />
              </td>
              {admin && (
                <td class="row-actions">
                  {p.source === 'config' ? (
                    <span class="muted small">in bambuddy.yaml</span>
                  ) : (
                    <>
                      <button type="button" class="btn btn-small" aria-label={`Edit printer ${p.name}`} onClick={() => setEditing(p)}>
                        Edit
                      </button>
                      <button
                        type="button"
                        class="btn btn-small btn-danger-outline"
                        aria-label={`Remove printer ${p.name}`}
                        onClick={() => setRemoving(p)}
                      >
                        Remove
                      </button>
                    </>
                  )}
                </td>
              )}
            </tr>
          ))}
        </DataTable>
      )}
      {adding && (
        <PrinterDialog
          onClose={() => setAdding(false)}
          onSaved={() => {
            setAdding(false);
            void printers.reload();
          }}
        />
      )}
      {editing && (
        <EditPrinter
          printer={editing}
          onClose={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            void printers.reload();
          }}
        />
      )}
      {removing && (
        <ConfirmDialog
          title="Remove printer?"
          confirmLabel={`Remove “${removing.name}”`}
          onClose={() => setRemoving(null)}
          onConfirm={async () => {
            await api(`/printers/${removing.id}`, { method: 'DELETE' });
            await printers.reload();
          }}
        >
          <p>
            Remove the printer <strong>{removing.name}</strong>? Bambuddy disconnects from it at once. Its archives
            stay; queue items meant for it wait for another printer.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}

// The plate-clear gate of one printer: after a print the queue waits for someone to confirm the
// bed is clear. The list has no such field, so each row reads the printer's details once.
function PlateClearGate({
  printer,
  canChange,
  onError,
}: {
  printer: PrinterSummary;
  canChange: boolean;
  onError: (e: unknown) => void;
}) {
  const details = useLoad((signal) => api<PrinterDetails>(`/printers/${printer.id}`, { signal }), [printer.id]);
  // What was chosen here: the API answers only the effective value, so "On" equal to the driver's
  // default would otherwise show as the default right after saving it.
  const [chosen, setChosen] = useState<PlateClearChoice | null>(null);
  const [saving, setSaving] = useState(false);
  const [saved, setSaved] = useState(false);
  const d = details.data;
  if (!d || typeof d.require_plate_clear !== 'boolean') {
    return <span class="muted small">{details.error ? 'unknown' : '…'}</span>;
  }
  const byDefault = plateClearDefault(d.capabilities);
  const choice = chosen ?? plateClearChoiceOf(d.require_plate_clear, d.capabilities);
  if (!canChange) {
    return <span>{d.require_plate_clear ? 'On' : 'Off'}{choice === 'default' ? ' (default)' : ''}</span>;
  }
  const change = async (next: PlateClearChoice) => {
    setSaving(true);
    setSaved(false);
    onError(null);
    try {
      await api<PrinterDetails>(`/printers/${printer.id}`, {
        method: 'PATCH',
        body: { require_plate_clear: plateClearValue(next) },
      });
      setChosen(next);
      setSaved(true);
      await details.reload();
    } catch (e) {
      onError(e);
    } finally {
      setSaving(false);
    }
  };
  return (
    <div class="gate-cell">
      <select
        aria-label={`Clear-bed check for ${printer.name}`}
        title="After a print, the queue waits until someone confirms the bed is clear (dashboard: Plate is clear)"
        value={choice}
        disabled={saving}
        onChange={(e) => void change((e.currentTarget as HTMLSelectElement).value as PlateClearChoice)}
      >
        <option value="default">Driver default ({byDefault ? 'on' : 'off'})</option>
        <option value="on">On</option>
        <option value="off">Off</option>
      </select>
      <span class="muted small" aria-live="polite">
        {saving ? 'Saving…' : saved ? 'Saved.' : ''}
      </span>
    </div>
  );
}

// Loads the printer's details (its redacted settings) before showing the form.
function EditPrinter({ printer, onClose, onSaved }: { printer: PrinterSummary; onClose: () => void; onSaved: () => void }) {
  const details = useLoad((signal) => api<PrinterDetails>(`/printers/${printer.id}`, { signal }), [printer.id]);
  if (!details.data) {
    return (
      <Modal title={`Edit “${printer.name}”`} onClose={onClose}>
        {details.error ? <ErrorBanner error={details.error} /> : <p>Loading…</p>}
      </Modal>
    );
  }
  return <PrinterDialog printer={details.data} onClose={onClose} onSaved={onSaved} />;
}

type CheckState = { running: boolean; result: ConnectionCheck | null; checkedBody: string | null };

// Add (no `printer`) or edit a printer. Bambu printers get the connection form and the check;
// other drivers (the simulator) only a name here.
function PrinterDialog({ printer, onClose, onSaved }: { printer?: PrinterDetails; onClose: () => void; onSaved: () => void }) {
  const editing = printer !== undefined;
  const bambu = !editing || printer.driver === BAMBU_DRIVER;
  const [form, setForm] = useState<BambuForm>(() => (printer ? bambuFormFrom(printer.name, printer.settings) : emptyBambuForm()));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [check, setCheck] = useState<CheckState>({ running: false, result: null, checkedBody: null });
  const [problem, setProblem] = useState<string | null>(null);
  const action = useAction();

  const set = (key: keyof BambuForm) => (e: Event) => {
    const value = (e.currentTarget as HTMLInputElement | HTMLSelectElement).value;
    setForm({ ...form, [key]: value as never });
    // Its old problem goes away as the field is edited.
    const field = { accessCode: 'access_code', fingerprint: 'tls.fingerprint_sha256', caFile: 'tls.ca_file' }[key as string] ?? key;
    if (errors[field]) setErrors({ ...errors, [field]: '' });
  };
  const stored = printer?.settings;
  const needsCode = editing && bambu && !form.accessCode && stored !== undefined && destinationChanged(form, stored);

  // The check's body: a new printer's settings, or the changes to a stored one (its stored access
  // code is used by the server, never sent back here).
  const checkBody = (settings: Record<string, unknown>) =>
    editing ? { printer_id: printer.id, settings } : { driver: BAMBU_DRIVER, settings };

  const validate = () => {
    if (!bambu) {
      const e: Record<string, string> = {};
      if (!form.name.trim()) e.name = 'required';
      setErrors(e);
      return Object.keys(e).length === 0 ? { settings: {} } : null;
    }
    const built = buildBambuSettings(form, stored);
    setErrors(built.errors);
    if (Object.keys(built.errors).length > 0) {
      setProblem('Check the fields marked below.');
      return null;
    }
    setProblem(null);
    return built;
  };

  const runCheck = async (settings: Record<string, unknown>): Promise<ConnectionCheck | null> => {
    const body = checkBody(settings);
    setCheck({ running: true, result: null, checkedBody: null });
    try {
      const result = await checkConnection(body);
      setCheck({ running: false, result, checkedBody: JSON.stringify(body) });
      return result;
    } catch (e) {
      setCheck({ running: false, result: null, checkedBody: null });
      setErrors(fieldErrorsFrom(e, ['name', ...BAMBU_FIELDS], 'settings'));
      throw e;
    }
  };

  const onCheck = () =>
    action.run(async () => {
      const built = validate();
      if (built) await runCheck(built.settings);
    });

  const submit = (e: Event) => {
    e.preventDefault();
    void action.run(async () => {
      const built = validate();
      if (!built) return;
      const settingsChanged = Object.keys(built.settings).length > 0;
      if (bambu && (!editing || settingsChanged)) {
        // Checked first, unless these very settings were checked already; a failure is shown and
        // a second click saves anyway (a printer that is off right now can still be added).
        const body = JSON.stringify(checkBody(built.settings));
        const known = check.checkedBody === body ? check.result : null;
        if (!known) {
          const result = await runCheck(built.settings);
          if (!result || result.status !== 'ok') return;
        }
      }
      const body: Record<string, unknown> = { name: form.name.trim() };
      if (bambu && (!editing || settingsChanged)) body.settings = built.settings;
      try {
        if (editing) await api(`/printers/${printer.id}`, { method: 'PATCH', body });
        else await api('/printers', { method: 'POST', body: { ...body, driver: BAMBU_DRIVER } });
      } catch (err) {
        setErrors(fieldErrorsFrom(err, ['name', ...BAMBU_FIELDS], 'settings'));
        if (err instanceof ApiError && err.code === 'secret_required') setForm({ ...form, accessCode: '' });
        throw err;
      }
      onSaved();
    });
  };

  // "Add anyway" only for the very settings whose check failed.
  const currentBody = bambu ? JSON.stringify(checkBody(buildBambuSettings(form, stored).settings)) : null;
  const failedCheck = check.result?.status === 'failed' && check.checkedBody === currentBody;
  const saveLabel = action.busy
    ? check.running
      ? 'Checking…'
      : 'Saving…'
    : failedCheck
      ? editing
        ? 'Save anyway'
        : 'Add anyway'
      : editing
        ? 'Save'
        : 'Add printer';
  const title = editing ? `Edit “${printer.name}”` : 'Add a Bambu Lab printer';
  return (
    <Modal title={title} onClose={onClose} wide>
      <form onSubmit={submit} noValidate aria-label={title}>
        {editing && printer.driver === SIM_DRIVER && (
          <p class="muted">
            <span class="badge badge-info">Simulated</span> This printer is simulated by the printer.sim plugin; only its
            name can be changed here.
          </p>
        )}
        <CheckedField label="Name" error={errors.name} required hint="How the printer is called in Bambuddy.">
          {({ id, describedBy }) => (
            <input id={id} aria-describedby={describedBy} type="text" maxLength={100} value={form.name} placeholder="e.g. X1C workshop" onInput={set('name')} />
          )}
        </CheckedField>
        {bambu && (
          <>
            <CheckedField label="Host" error={errors.host} required hint="The printer’s IP address (or host name) on your network.">
              {({ id, describedBy }) => (
                <input id={id} aria-describedby={describedBy} type="text" value={form.host} placeholder="192.168.1.50" autoComplete="off" spellcheck={false} onInput={set('host')} />
              )}
            </CheckedField>
            <CheckedField label="Serial number" error={errors.serial} required hint="On the printer under Settings › Device, or on its label.">
              {({ id, describedBy }) => (
                <input id={id} aria-describedby={describedBy} type="text" value={form.serial} placeholder="01P00A451601106" autoComplete="off" spellcheck={false} onInput={set('serial')} />
              )}
            </CheckedField>
            <CheckedField
              label="Access code"
              error={errors.access_code}
              required={!editing || needsCode}
              hint={
                editing
                  ? needsCode
                    ? 'The address or TLS check changed: enter the access code again.'
                    : 'Stored and never shown. Leave empty to keep it; type a new one to replace it.'
                  : 'On the printer under Settings › Network (LAN only mode). Stored on the server and never shown again.'
              }
            >
              {({ id, describedBy }) => (
                <input
                  id={id}
                  aria-describedby={describedBy}
                  type="password"
                  value={form.accessCode}
                  placeholder={editing ? '•••••••• (unchanged)' : ''}
                  autoComplete="new-password"
                  spellcheck={false}
                  onInput={set('accessCode')}
                />
              )}
            </CheckedField>
            <CheckedField label="TLS" error={errors.tls} hint="Printers present a self-signed certificate; pin it for more safety.">
              {({ id, describedBy }) => (
                <select id={id} aria-describedby={describedBy} value={form.tlsMode} onChange={(e) => setForm({ ...form, tlsMode: (e.currentTarget as HTMLSelectElement).value as TlsMode })}>
                  <option value="none">Encrypted, certificate not verified (default)</option>
                  <option value="fingerprint">Pin the certificate (SHA-256 fingerprint)</option>
                  <option value="ca_file">Verify against a CA file on the server</option>
                </select>
              )}
            </CheckedField>
            {form.tlsMode === 'fingerprint' && (
              <CheckedField label="Certificate fingerprint" error={errors['tls.fingerprint_sha256']} required hint="openssl x509 -noout -fingerprint -sha256 (64 hex digits, colons allowed).">
                {({ id, describedBy }) => (
                  <input id={id} aria-describedby={describedBy} type="text" class="mono" value={form.fingerprint} spellcheck={false} onInput={set('fingerprint')} />
                )}
              </CheckedField>
            )}
            {form.tlsMode === 'ca_file' && (
              <CheckedField label="CA file" error={errors['tls.ca_file']} required hint="Path of a PEM file readable by the server.">
                {({ id, describedBy }) => (
                  <input id={id} aria-describedby={describedBy} type="text" class="mono" value={form.caFile} placeholder="/etc/bambuddy/printer-ca.pem" spellcheck={false} onInput={set('caFile')} />
                )}
              </CheckedField>
            )}
            <CheckedField label="MQTT port" error={errors.port} hint="8883 unless the printer is reached through a port forward.">
              {({ id, describedBy }) => (
                <input id={id} aria-describedby={describedBy} type="number" min={1} max={65535} inputMode="numeric" value={form.port} onInput={set('port')} />
              )}
            </CheckedField>
            <CheckResult check={check} />
          </>
        )}
        <Problem text={problem} />
        <ErrorBanner error={action.error} />
        <div class="actions">
          {bambu && (
            <button type="button" class="btn actions-left" disabled={action.busy} onClick={() => void onCheck()}>
              {check.running ? 'Checking…' : 'Check connection'}
            </button>
          )}
          <button type="button" class="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="btn btn-primary" disabled={action.busy}>
            {saveLabel}
          </button>
        </div>
      </form>
    </Modal>
  );
}

function CheckResult({ check }: { check: CheckState }) {
  if (check.running) {
    return (
      <p class="banner banner-info" role="status">
        Connecting to the printer… (at most 10 s)
      </p>
    );
  }
  const r = check.result;
  if (!r) return <div role="status" class="sr-only" />;
  if (r.status === 'ok') {
    return (
      <div class="banner banner-success" role="status">
        <div class="banner-body">
          <strong>Connected</strong>
          <p>
            The printer answered{r.model ? ` (${r.model}${r.firmware ? `, firmware ${r.firmware}` : ''})` : ''} in{' '}
            {((r.duration_ms ?? 0) / 1000).toFixed(1)} s.
          </p>
        </div>
      </div>
    );
  }
  return (
    <div class="banner banner-warning" role="status">
      <div class="banner-body">
        <strong>Could not connect ({r.reason ?? 'failed'})</strong>
        <p>{checkReasonText(r.reason)}</p>
        {r.detail && (
          <p class="banner-detail">
            Driver said: <span class="mono">{r.detail}</span>
          </p>
        )}
      </div>
    </div>
  );
}
