// The ten permissions of an API key: wire names as the API speaks them, with the display names and
// one-line meanings of the API Keys page.

export type Permission =
  | 'printers:read'
  | 'printers:control'
  | 'archives:read'
  | 'archives:write'
  | 'statistics:read'
  | 'queue:read'
  | 'queue:write'
  | 'settings:read'
  | 'settings:write'
  | 'admin';

export interface PermissionInfo {
  wire: Permission;
  label: string;
  meaning: string;
  readOnly: boolean;
  dangerous: boolean;
}

export const PERMISSIONS: readonly PermissionInfo[] = [
  { wire: 'printers:read', label: 'Read Printers', meaning: 'View printer status', readOnly: true, dangerous: false },
  { wire: 'printers:control', label: 'Control Printers', meaning: 'Start/stop/pause prints', readOnly: false, dangerous: false },
  { wire: 'archives:read', label: 'Read Archives', meaning: 'View archive data', readOnly: true, dangerous: false },
  { wire: 'archives:write', label: 'Write Archives', meaning: 'Edit/delete archives', readOnly: false, dangerous: false },
  { wire: 'statistics:read', label: 'Read Statistics', meaning: 'View statistics', readOnly: true, dangerous: false },
  { wire: 'queue:read', label: 'Read Queue', meaning: 'View print queue', readOnly: true, dangerous: false },
  { wire: 'queue:write', label: 'Write Queue', meaning: 'Add/remove from queue', readOnly: false, dangerous: false },
  { wire: 'settings:read', label: 'Read Settings', meaning: 'View configuration', readOnly: true, dangerous: false },
  { wire: 'settings:write', label: 'Write Settings', meaning: 'Modify configuration', readOnly: false, dangerous: false },
  { wire: 'admin', label: 'Admin', meaning: 'Full access', readOnly: false, dangerous: true },
];

const byWire = new Map<string, PermissionInfo>(PERMISSIONS.map((p) => [p.wire, p]));

// The display name of a wire name; an unknown name (a newer server) is shown as it is.
export function permissionLabel(wire: string): string {
  return byWire.get(wire)?.label ?? wire;
}

// Display names in the page's order, unknown names last.
export function permissionLabels(wires: readonly string[]): string[] {
  const known = PERMISSIONS.filter((p) => wires.includes(p.wire)).map((p) => p.label);
  const unknown = wires.filter((w) => !byWire.has(w));
  return [...known, ...unknown];
}

// The read permissions a new key starts with: least privilege by default.
export function defaultPermissions(): Permission[] {
  return PERMISSIONS.filter((p) => p.readOnly).map((p) => p.wire);
}

// Whether a key with `granted` may do what `needed` guards; admin implies every permission.
export function allows(granted: readonly string[] | undefined, needed: Permission): boolean {
  if (!granted) return false;
  return granted.includes('admin') || granted.includes(needed);
}
