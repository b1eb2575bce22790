import { describe, expect, it } from 'vitest';
import { PERMISSIONS, allows, defaultPermissions, permissionLabel, permissionLabels } from '../src/lib/permissions';

describe('permissions', () => {
  it('lists the ten permissions of the API Keys page with their display names', () => {
    expect(PERMISSIONS.map((p) => [p.wire, p.label])).toEqual([
      ['printers:read', 'Read Printers'],
      ['printers:control', 'Control Printers'],
      ['archives:read', 'Read Archives'],
      ['archives:write', 'Write Archives'],
      ['statistics:read', 'Read Statistics'],
      ['queue:read', 'Read Queue'],
      ['queue:write', 'Write Queue'],
      ['settings:read', 'Read Settings'],
      ['settings:write', 'Write Settings'],
      ['admin', 'Admin'],
    ]);
  });

  it('gives every permission a one-line meaning and marks only Admin as dangerous', () => {
    for (const p of PERMISSIONS) expect(p.meaning.length).toBeGreaterThan(0);
    expect(PERMISSIONS.filter((p) => p.dangerous).map((p) => p.wire)).toEqual(['admin']);
  });

  it('maps wire names to labels and keeps unknown names as they are', () => {
    expect(permissionLabel('queue:write')).toBe('Write Queue');
    expect(permissionLabel('printers:teleport')).toBe('printers:teleport');
    expect(permissionLabels(['admin', 'printers:read', 'x:y'])).toEqual(['Read Printers', 'Admin', 'x:y']);
  });

  it('preselects the read-only permissions', () => {
    expect(defaultPermissions()).toEqual(['printers:read', 'archives:read', 'statistics:read', 'queue:read', 'settings:read']);
  });

  it('lets admin imply every permission', () => {
    expect(allows(['admin'], 'printers:control')).toBe(true);
    expect(allows(['printers:read'], 'printers:read')).toBe(true);
    expect(allows(['printers:read'], 'printers:control')).toBe(false);
    expect(allows(undefined, 'printers:read')).toBe(false);
  });
});
