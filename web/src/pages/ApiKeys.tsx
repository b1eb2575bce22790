import { useState } from 'preact/hooks';
import { api, type ListAnswer } from '../lib/api';
import { formatAgo, formatDateTime, localInputToIsoUtc, splitList } from '../lib/format';
import { useAction, useLoad } from '../lib/hooks';
import { useMe } from '../lib/me';
import { storeKey } from '../lib/session';
import { PERMISSIONS, defaultPermissions, permissionLabels } from '../lib/permissions';
import type { ApiKey, CreatedApiKey } from '../lib/types';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { DataTable, EnabledBadge } from '../components/DataTable';
import { ErrorBanner } from '../components/ErrorBanner';
import { DialogActions, Field } from '../components/Form';
import { Modal } from '../components/Modal';
import { RotateDialog } from '../components/RotateDialog';
import { SecretDialog } from '../components/SecretDialog';

export const KEY_WARNING = "API keys are shown only once at creation. Store it securely. Copy the key now – it won't be shown again!";

// Settings > API Keys: list, create, rotate, disable/enable, delete (admin).
export function ApiKeys() {
  const me = useMe();
  const keys = useLoad((signal) => api<ListAnswer<ApiKey>>('/api-keys?limit=1000', { signal }), []);
  const [creating, setCreating] = useState(false);
  const [shown, setShown] = useState<{ title: string; key: string } | null>(null);
  const [rotating, setRotating] = useState<ApiKey | null>(null);
  const [deleting, setDeleting] = useState<ApiKey | null>(null);
  const action = useAction();

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
          columns={['Name', 'Key', 'Permissions', 'Created', 'Last used', 'Expires', 'Status']}
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
                <td data-label="Created" class="nowrap">
                  {formatDateTime(k.created_at)}
                </td>
                <td data-label="Last used">
                  {k.last_used_at ? (
                    <>
                      <span title={formatDateTime(k.last_used_at)}>{formatAgo(k.last_used_at)}</span>
                      {k.last_used_ip && <span class="muted small"> from {k.last_used_ip}</span>}
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
        <CreateKeyDialog
          onClose={() => setCreating(false)}
          onCreated={(created) => {
            setCreating(false);
            setShown({ title: `API key “${created.name}” created`, key: created.key });
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

function CreateKeyDialog({ onClose, onCreated }: { onClose: () => void; onCreated: (k: CreatedApiKey) => void }) {
  const [name, setName] = useState('');
  const [perms, setPerms] = useState<string[]>(defaultPermissions());
  const [expires, setExpires] = useState('');
  const [ips, setIps] = useState('');
  const [limits, setLimits] = useState({ read: '', write: '', control: '' });
  const action = useAction();
  const [problem, setProblem] = useState<string | null>(null);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!name.trim()) return setProblem('Enter a name, e.g. “Home Assistant”.');
    if (perms.length === 0) return setProblem('Select at least one permission.');
    const body: Record<string, unknown> = { name: name.trim(), permissions: perms };
    if (expires) {
      const iso = localInputToIsoUtc(expires);
      if (!iso) return setProblem('The expiry date is not valid.');
      body.expires_at = iso;
    }
    const ipList = splitList(ips);
    if (ipList.length > 0) body.allowed_ips = ipList;
    const rl: Record<string, number> = {};
    for (const cls of ['read', 'write', 'control'] as const) {
      const v = limits[cls].trim();
      if (v === '') continue;
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) return setProblem(`The ${cls} rate limit must be a whole number of at least 1.`);
      rl[cls] = n;
    }
    if (Object.keys(rl).length > 0) body.rate_limits = rl;
    setProblem(null);
    await action.run(async () => onCreated(await api<CreatedApiKey>('/api-keys', { method: 'POST', body })));
  };

  const admin = perms.includes('admin');
  return (
    <Modal title="Create API Key" onClose={onClose} wide>
      <form onSubmit={submit} noValidate>
        <Field label="Name" hint="Name keys after their purpose, not “key1”.">
          <input
            type="text"
            value={name}
            maxLength={100}
            required
            placeholder="e.g. Home Assistant Dashboard"
            onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)}
          />
        </Field>
        <fieldset class="field">
          <legend>Permissions</legend>
          <p class="hint">Only grant what is needed: read-only for dashboards, control for automation, Admin only when necessary.</p>
          <ul class="perm-list">
            {PERMISSIONS.map((p) => (
              <li key={p.wire} class={p.dangerous ? 'perm perm-danger' : 'perm'}>
                <label>
                  <input
                    type="checkbox"
                    checked={perms.includes(p.wire)}
                    onChange={(e) => {
                      const on = (e.currentTarget as HTMLInputElement).checked;
                      setPerms(on ? [...perms, p.wire] : perms.filter((x) => x !== p.wire));
                    }}
                  />
                  <span class="perm-name">{p.label}</span>
                  <span class="perm-meaning">{p.meaning}</span>
                </label>
              </li>
            ))}
          </ul>
          {admin && (
            <p class="problem" role="note">
              Admin gives full access, including creating and deleting API keys. Avoid admin keys in automation.
            </p>
          )}
        </fieldset>
        <details class="field">
          <summary>Optional: expiry, allowed IPs, rate limits</summary>
          <Field label="Expires" hint="Leave empty for a key that does not expire. Your local time.">
            <input type="datetime-local" value={expires} onInput={(e) => setExpires((e.currentTarget as HTMLInputElement).value)} />
          </Field>
          <Field label="Allowed IPs" hint="Addresses or CIDR ranges, separated by commas or new lines. Empty: any address.">
            <textarea
              rows={2}
              value={ips}
              placeholder="192.168.1.0/24, fd00::/8"
              onInput={(e) => setIps((e.currentTarget as HTMLTextAreaElement).value)}
            />
          </Field>
          <fieldset class="field">
            <legend>Rate limits (requests per minute; empty uses the server default)</legend>
            <div class="inline-fields">
              {(['read', 'write', 'control'] as const).map((cls) => (
                <Field key={cls} label={cls[0].toUpperCase() + cls.slice(1)}>
                  <input
                    type="number"
                    min={1}
                    inputMode="numeric"
                    value={limits[cls]}
                    onInput={(e) => setLimits({ ...limits, [cls]: (e.currentTarget as HTMLInputElement).value })}
                  />
                </Field>
              ))}
            </div>
          </fieldset>
        </details>
        <DialogActions
          problem={problem}
          error={action.error}
          busy={action.busy}
          submitLabel={action.busy ? 'Creating…' : 'Create'}
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
