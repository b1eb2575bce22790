import { api, type ListAnswer } from '../lib/api';
import { useLoad } from '../lib/hooks';
import type { PluginInfo } from '../lib/types';
import { DataTable } from '../components/DataTable';
import { ErrorBanner } from '../components/ErrorBanner';

const KIND_NAMES: Record<string, string> = {
  storage: 'Storage',
  auth: 'Authentication',
  notifier: 'Notifier',
  printer_driver: 'Printer driver',
};

// The plugins the server loaded, with their instances.
export function Plugins() {
  const plugins = useLoad((signal) => api<ListAnswer<PluginInfo>>('/plugins?limit=1000', { signal }), []);
  return (
    <section>
      <div class="page-head">
        <h1>Plugins</h1>
      </div>
      <p class="muted">Loaded from plugins.load in bambuddy.yaml. Changing them needs a restart.</p>
      <ErrorBanner error={plugins.error} />
      {plugins.data && (
        <DataTable caption="Loaded plugins" columns={['Name', 'Kind', 'Version', 'ABI', 'Instances', 'Description']}>
          {plugins.data.items.map((p) => (
            <tr key={p.name}>
              <th scope="row" data-label="Name" class="mono">
                {p.name}
                {p.required && <span class="badge badge-info">required</span>}
              </th>
              <td data-label="Kind">{KIND_NAMES[p.kind] ?? p.kind}</td>
              <td data-label="Version">{p.version}</td>
              <td data-label="ABI">{p.abi}</td>
              <td data-label="Instances" class="mono">
                {(p.instances ?? []).join(', ') || '—'}
              </td>
              <td data-label="Description">{p.description ?? ''}</td>
            </tr>
          ))}
        </DataTable>
      )}
    </section>
  );
}
