import { useState } from 'preact/hooks';
import { api, type ListAnswer } from '../lib/api';
import { ApiError } from '../lib/errors';
import { formatAgo, formatDateTime } from '../lib/format';
import { useAction, useLoad } from '../lib/hooks';
import { useMe } from '../lib/me';
import { storeKey } from '../lib/session';
import { PERMISSIONS, defaultPermissions, permissionLabels } from '../lib/permissions';
import { buildKeyBody, KEY_ERROR_FIELDS, keyFormFrom, RATE_CLASSES, type KeyField, type KeyForm } from '../lib/keyForm';
import type { ApiKey, CreatedApiKey, PrinterSummary } from '../lib/types';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { DataTable, EnabledBadge } from '../components/DataTable';
import { ErrorBanner } from '../components/ErrorBanner';
import { CheckedField, DialogActions, Field } from '../components/Form';
import { Modal } from '../components/Modal';
import { RotateDialog } from '../components/RotateDialog';
import { SecretDialog } from '../components/SecretDialog';

// "All printers" or the names of the printers a key is limited to.
function printerScope(ids: number[] | null | undefined, names: Map<number, string>): string {
  if (ids === null || ids === undefined) return 'All printers';
  if (ids.length === 0) return 'none';
  return ids.map((id) => names.get(id) ?? `#${id}`).join(', ');
}

export const KEY_WARNING = "API keys are shown only once at creation. Store it securely. Copy the key now – it won't be shown again!";

// Settings > API Keys: list, create, rotate, disable/enable, delete (admin).
export function ApiKeys() {
  const me = useMe();
  const keys = useLoad((signal) => api<ListAnswer<ApiKey>>('/api-keys?limit=1000', { signal }), []);
  const [creating, setCreating] = useState(false);
  const [shown, setShown] = useState<{ title: string; key: string } | null>(null);
  const [rotating, setRotating] = useState<ApiKey | null>(null);
  const [editing, setEditing] = useState<ApiKey | null>(null);
  const [deleting, setDeleting] = useState<ApiKey | null>(null);
  const action = useAction();
  const printers = useLoad((signal) => api<ListAnswer<PrinterSummary>>('/printers?limit=1000', { signal }), []);
  const printerNames = new Map((printers.data?.items ?? []).map((p) => [p.id, p.name]));

  const toggle = (k: ApiKey) =>
    action.run(async () => {
      await api(`/api-keys/${k.id}`, { method: 'PATCH', body: { enabled: !k.enabled } });
      await keys.reload();
    });

  const items = keys.data?.items ?? [];
  return (
    <section>
      <div class="page-head">
        <h1>
          <span class="crumb">Settings › </span>API Keys
        </h1>
        <button type="button" class="btn btn-primary" onClick={() => setCreating(true)}>
          Create API Key
        </button>
      </div>
      <p class="muted">
        Keys let other software (Home Assistant, Node-RED, scripts) use the API. Give each application its own key
        with only the permissions it needs.
      </p>
      <ErrorBanner error={keys.error} />
      <ErrorBanner error={action.error} onDismiss={() => action.setError(null)} />
      {keys.data && (
        <DataTable
          caption="API keys"
          columns={['Name', 'Key', 'Permissions', 'Printers', 'Created', 'Last used', 'Expires', 'Status']}
          actions
        >
          {items.map((k) => {
            const mine = String(k.id) === String(me.id);
            return (
              <tr key={k.id}>
                <th scope="row" data-label="Name">
                  {k.name}
                  {mine && <span class="badge badge-info">this session</span>}
                </th>
                <td data-label="Key" class="mono nowrap">
                  {k.prefix}…{k.last4}
                </td>
                <td data-label="Permissions">
                  <ul class="chips">
                    {permissionLabels(k.permissions).map((l) => (
                      <li key={l} class={l === 'Admin' ? 'chip chip-danger' : 'chip'}>
                        {l}
                      </li>
                    ))}
                  </ul>
                </td>
                <td data-label="Printers">{printerScope(k.printer_ids, printerNames)}</td>
                <td data-label="Created" class="nowrap">
                  {formatDateTime(k.created_at)}
                </td>
                <td data-label="Last used">
                  {k.last_used_at ? (
                    <>
                      <span title={formatDateTime(k.last_used_at)}>{formatAgo(k.last_used_at)}</span>
                      {k.last_used_ip && (
                        <span class="small">
                          {' '}
                          from <span class="mono" data-testid="last-used-ip">{k.last_used_ip}</span>
                        </span>
                      )}
                      <span class="muted small"> · {k.request_count} requests</span>
                    </>
                  ) : (
                    'never'
                  )}
                </td>
                <td data-label="Expires" class="nowrap">
                  {k.expires_at ? formatDateTime(k.expires_at) : 'never'}
                  {k.previous_key_valid_until && (
                    <div class="muted small">old secret valid until {formatDateTime(k.previous_key_valid_until)}</div>
                  )}
                </td>
                <td data-label="Status">
                  <EnabledBadge enabled={k.enabled} />
                </td>
                <td class="row-actions">
                  <button type="button" class="btn btn-small" aria-label={`Edit key ${k.name}`} onClick={() => setEditing(k)}>
                    Edit
                  </button>
                  <button type="button" class="btn btn-small" aria-label={`Rotate key ${k.name}`} onClick={() => setRotating(k)}>
                    Rotate
                  </button>
                  <button
                    type="button"
                    class="btn btn-small"
                    aria-label={`${k.enabled ? 'Disable' : 'Enable'} key ${k.name}`}
                    disabled={mine && k.enabled}
                    title={mine && k.enabled ? 'This is the key you are signed in with' : undefined}
                    onClick={() => toggle(k)}
                  >
                    {k.enabled ? 'Disable' : 'Enable'}
                  </button>
                  <button
                    type="button"
                    class="btn btn-small btn-danger-outline"
                    aria-label={`Delete key ${k.name}`}
                    onClick={() => setDeleting(k)}
                  >
                    Delete
                  </button>
                </td>
              </tr>
            );
          })}
        </DataTable>
      )}
      {creating && (
        <KeyDialog
          apiKey={null}
          onClose={() => setCreating(false)}
          onSaved={(saved) => {
            const created = saved as CreatedApiKey;
            setCreating(false);
            setShown({ title: `API key “${created.name}” created`, key: created.key });
            void keys.reload();
          }}
        />
      )}
      {editing && (
        <KeyDialog
          apiKey={editing}
          onClose={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            void keys.reload();
          }}
        />
      )}
      {rotating && (
        <RotateKeyDialog
          apiKey={rotating}
          onClose={() => setRotating(null)}
          onRotated={(created) => {
            setRotating(null);
            // Rotating the key this tab is signed in with: keep working with the new secret.
            if (String(created.id) === String(me.id)) storeKey(created.key);
            setShown({ title: `New secret for “${created.name}”`, key: created.key });
            void keys.reload();
          }}
        />
      )}
      {shown && (
        <SecretDialog
          title={shown.title}
          label="Your new API key"
          secret={shown.key}
          warning={KEY_WARNING}
          onClose={() => setShown(null)}
        />
      )}
      {deleting && (
        <ConfirmDialog
          title="Delete API key?"
          confirmLabel={`Delete “${deleting.name}”`}
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            await api(`/api-keys/${deleting.id}`, { method: 'DELETE' });
            await keys.reload();
          }}
        >
          <p>
            Delete the key <strong>{deleting.name}</strong> (<span class="mono">{deleting.prefix}…{deleting.last4}</span>)?
            It stops working immediately and cannot be restored; applications using it lose access.
          </p>
          {String(deleting.id) === String(me.id) && (
            <p class="problem">This is the key you are signed in with: you will be signed out.</p>
          )}
        </ConfirmDialog>
      )}
    </section>
  );
}

// Create (apiKey = null) or edit a key: name, permissions, enabled, expiry, allowed IPs, rate
// limits and the printers it may see and control.
function KeyDialog({
  apiKey,
  onClose,
  onSaved,
}: {
  apiKey: ApiKey | null;
  onClose: () => void;
  onSaved: (k: ApiKey | CreatedApiKey) => void;
}) {
  const editing = apiKey !== null;
  const me = useMe();
  const [form, setForm] = useState<KeyForm>(() => keyFormFrom(apiKey, defaultPermissions()));
  const [errors, setErrors] = useState<Partial<Record<KeyField, string>>>({});
  const [problem, setProblem] = useState<string | null>(null);
  const printers = useLoad((signal) => api<ListAnswer<PrinterSummary>>('/printers?limit=1000', { signal }), []);
  const action = useAction();
  // A changed field's old problem goes away as it is edited.
  const update = (patch: Partial<KeyForm>, field?: KeyField) => {
    setForm({ ...form, ...patch });
    if (field && errors[field]) setErrors({ ...errors, [field]: undefined });
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    const built = buildKeyBody(form, apiKey);
    setErrors(built.errors);
    if (Object.keys(built.errors).length > 0) return setProblem('Check the fields marked below.');
    setProblem(null);
    if (editing && Object.keys(built.body).length === 0) return onClose();
    await action.run(async () => {
      try {
        const saved = editing
          ? await api<ApiKey>(`/api-keys/${apiKey.id}`, { method: 'PATCH', body: built.body })
          : await api<CreatedApiKey>('/api-keys', { method: 'POST', body: built.body });
        onSaved(saved);
      } catch (err) {
        const field = err instanceof ApiError ? KEY_ERROR_FIELDS[err.code] : undefined;
        if (field && err instanceof ApiError) setErrors({ [field]: err.detail });
        throw err;
      }
    });
  };

  const admin = form.permissions.includes('admin');
  const mine = editing && String(apiKey.id) === String(me.id);
  const title = editing ? `Edit “${apiKey.name}”` : 'Create API Key';
  const printerItems = printers.data?.items ?? [];
  return (
    <Modal title={title} onClose={onClose} wide>
      <form onSubmit={submit} noValidate aria-label={title}>
        <CheckedField label="Name" error={errors.name} hint="Name keys after their purpose, not “key1”.">
          {({ id, describedBy }) => (
            <input
              id={id}
              aria-describedby={describedBy}
              type="text"
              value={form.name}
              maxLength={100}
              required
              placeholder="e.g. Home Assistant Dashboard"
              onInput={(e) => update({ name: (e.currentTarget as HTMLInputElement).value }, 'name')}
            />
          )}
        </CheckedField>
        <fieldset class="field">
          <legend>Permissions</legend>
          <p class="hint">Only grant what is needed: read-only for dashboards, control for automation, Admin only when necessary.</p>
          <ul class="perm-list">
            {PERMISSIONS.map((p) => (
              <li key={p.wire} class={p.dangerous ? 'perm perm-danger' : 'perm'}>
                <label>
                  <input
                    type="checkbox"
                    checked={form.permissions.includes(p.wire)}
                    disabled={mine && p.wire === 'admin'}
                    onChange={(e) => {
                      const on = (e.currentTarget as HTMLInputElement).checked;
                      const permissions = on ? [...form.permissions, p.wire] : form.permissions.filter((x) => x !== p.wire);
                      update({ permissions }, 'permissions');
                    }}
                  />
                  <span class="perm-name">{p.label}</span>
                  <span class="perm-meaning">{p.meaning}</span>
                </label>
              </li>
            ))}
          </ul>
          {errors.permissions && (
            <span class="field-error" role="alert">
              Permissions: {errors.permissions}
            </span>
          )}
          {admin && (
            <p class="problem" role="note">
              Admin gives full access, including creating and deleting API keys. Avoid admin keys in automation.
            </p>
          )}
          {mine && <p class="hint">This is the key you are signed in with: its Admin permission stays.</p>}
        </fieldset>
        {editing && (
          <div class="field">
            <label class="check">
              <input
                type="checkbox"
                checked={form.enabled}
                disabled={mine}
                onChange={(e) => update({ enabled: (e.currentTarget as HTMLInputElement).checked })}
              />{' '}
              Enabled
            </label>
            <span class="hint">A disabled key is refused (401) until it is enabled again.</span>
          </div>
        )}
        <details class="field" open={editing}>
          <summary>{editing ? 'Expiry, allowed IPs, rate limits, printers' : 'Optional: expiry, allowed IPs, rate limits, printers'}</summary>
          <CheckedField label="Expires" error={errors.expires} hint="Leave empty for a key that does not expire. Your local time.">
            {({ id, describedBy }) => (
              <input
                id={id}
                aria-describedby={describedBy}
                type="datetime-local"
                value={form.expires}
                onInput={(e) => update({ expires: (e.currentTarget as HTMLInputElement).value }, 'expires')}
              />
            )}
          </CheckedField>
          <CheckedField
            label="Allowed IPs"
            error={errors.ips}
            hint="Addresses or CIDR ranges, separated by commas or new lines. Empty: any address."
          >
            {({ id, describedBy }) => (
              <textarea
                id={id}
                aria-describedby={describedBy}
                rows={2}
                value={form.ips}
                placeholder="192.168.1.0/24, fd00::/8"
                onInput={(e) => update({ ips: (e.currentTarget as HTMLTextAreaElement).value }, 'ips')}
              />
            )}
          </CheckedField>
          <fieldset class="field">
            <legend>Rate limits (requests per minute; empty uses the server default)</legend>
            <div class="inline-fields">
              {RATE_CLASSES.map((cls) => (
                <Field key={cls} label={cls[0].toUpperCase() + cls.slice(1)}>
                  <input
                    type="number"
                    min={1}
                    inputMode="numeric"
                    value={form.limits[cls]}
                    onInput={(e) =>
                      update({ limits: { ...form.limits, [cls]: (e.currentTarget as HTMLInputElement).value } }, 'limits')
                    }
                  />
                </Field>
              ))}
            </div>
            {errors.limits && (
              <span class="field-error" role="alert">
                Rate limits: {errors.limits}
              </span>
            )}
          </fieldset>
          <fieldset class="field">
            <legend>Printers this key may see and control</legend>
            <label class="check">
              <input
                type="checkbox"
                checked={form.allPrinters}
                onChange={(e) => update({ allPrinters: (e.currentTarget as HTMLInputElement).checked }, 'printers')}
              />{' '}
              All printers (also ones added later)
            </label>
            {!form.allPrinters && (
              <ul class="perm-list">
                {printerItems.map((p) => (
                  <li key={p.id} class="perm">
                    <label>
                      <input
                        type="checkbox"
                        checked={form.printerIds.includes(p.id)}
                        onChange={(e) => {
                          const on = (e.currentTarget as HTMLInputElement).checked;
                          const printerIds = on ? [...form.printerIds, p.id] : form.printerIds.filter((x) => x !== p.id);
                          update({ printerIds }, 'printers');
                        }}
                      />
                      <span class="perm-name">{p.name}</span>
                      <span class="perm-meaning">printer {p.id}</span>
                    </label>
                  </li>
                ))}
              </ul>
            )}
            <ErrorBanner error={printers.error} />
            {errors.printers && (
              <span class="field-error" role="alert">
                Printers: {errors.printers}
              </span>
            )}
            <p class="hint">A key limited to some printers does not see the others anywhere (status, archives, queue, events).</p>
          </fieldset>
        </details>
        <DialogActions
          problem={problem}
          error={action.error}
          busy={action.busy}
          submitLabel={action.busy ? (editing ? 'Saving…' : 'Creating…') : editing ? 'Save' : 'Create'}
          onCancel={onClose}
        />
      </form>
    </Modal>
  );
}

function RotateKeyDialog({
  apiKey,
  onClose,
  onRotated,
}: {
  apiKey: ApiKey;
  onClose: () => void;
  onRotated: (k: CreatedApiKey) => void;
}) {
  return (
    <RotateDialog
      title={`Rotate “${apiKey.name}”`}
      noneLabel="None: the old secret stops working now"
      submitLabel="Rotate key"
      busyLabel="Rotating…"
      onClose={onClose}
      rotate={async (grace) =>
        onRotated(await api<CreatedApiKey>(`/api-keys/${apiKey.id}/rotate`, { method: 'POST', body: { grace_period_s: grace } }))
      }
    >
      <p>
        A new secret replaces the current one; name, permissions and limits stay. Update the application within the
        grace period, during which the old secret keeps working.
      </p>
    </RotateDialog>
  );
}
