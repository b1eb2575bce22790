import type { ComponentChildren } from 'preact';

// A list table: a caption for screen readers, one header cell per column and, with `actions`, a last
// column for the row buttons (its header is read but not shown). `children` are the body rows.
export function DataTable({
  caption,
  columns,
  actions = false,
  children,
}: {
  caption: string;
  columns: readonly string[];
  actions?: boolean;
  children: ComponentChildren;
}) {
  return (
    <div class="table-wrap">
      <table class="table">
        <caption class="sr-only">{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c} scope="col">
                {c}
              </th>
            ))}
            {actions && (
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

export function EnabledBadge({ enabled }: { enabled: boolean }) {
  return <span class={enabled ? 'badge badge-ok' : 'badge badge-off'}>{enabled ? 'Enabled' : 'Disabled'}</span>;
}
