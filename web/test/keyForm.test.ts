import { describe, expect, it } from 'vitest';
import { buildKeyBody, keyFormFrom } from '../src/lib/keyForm';
import type { ApiKey } from '../src/lib/types';

const key: ApiKey = {
  id: 7,
  name: 'Home Assistant',
  prefix: 'bb_abcde',
  last4: 'wxyz',
  permissions: ['printers:read', 'queue:read'],
  enabled: true,
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
  expires_at: null,
  allowed_ips: ['192.168.1.0/24'],
  rate_limits: { read: null, write: 5, control: null },
  last_used_at: null,
  last_used_ip: null,
  request_count: 0,
  previous_key_valid_until: null,
};
const NOW = Date.parse('2026-06-01T00:00:00Z');

describe('buildKeyBody', () => {
  it('an unchanged key sends an empty patch', () => {
    expect(buildKeyBody(keyFormFrom(key, []), key, NOW)).toEqual({ body: {}, errors: {} });
  });

  it('sends only what changed, rate limits whole (null = server default)', () => {
    const form = { ...keyFormFrom(key, []), enabled: false, ips: '', limits: { read: '50', write: '', control: '' } };
    expect(buildKeyBody(form, key, NOW).body).toEqual({
      enabled: false,
      allowed_ips: [],
      rate_limits: { read: 50, write: null, control: null },
    });
  });

  it('limits a key to some printers and back to all', () => {
    const limited = { ...keyFormFrom(key, []), allPrinters: false, printerIds: [3, 1] };
    expect(buildKeyBody(limited, key, NOW).body).toEqual({ printer_ids: [1, 3] });
    const back = { ...keyFormFrom({ ...key, printer_ids: [1, 3] }, []), allPrinters: true };
    expect(buildKeyBody(back, { ...key, printer_ids: [1, 3] }, NOW).body).toEqual({ printer_ids: null });
    expect(buildKeyBody(keyFormFrom({ ...key, printer_ids: [3, 1] }, []), { ...key, printer_ids: [1, 3] }, NOW).body).toEqual({});
  });

  it('clearing the expiry sends null; a past one is refused', () => {
    const expiring = { ...key, expires_at: '2027-01-01T00:00:00Z' };
    expect(buildKeyBody({ ...keyFormFrom(expiring, []), expires: '' }, expiring, NOW).body).toEqual({ expires_at: null });
    expect(buildKeyBody({ ...keyFormFrom(key, []), expires: '2020-01-01T00:00' }, key, NOW).errors.expires).toMatch(/future/);
  });

  it('a new key: defaults left out, problems named', () => {
    const form = { ...keyFormFrom(null, ['printers:read']), name: 'Wall' };
    expect(buildKeyBody(form, null, NOW)).toEqual({ body: { name: 'Wall', permissions: ['printers:read'] }, errors: {} });
    const bad = { ...keyFormFrom(null, []), allPrinters: false, limits: { read: '0', write: '', control: '' } };
    expect(Object.keys(buildKeyBody(bad, null, NOW).errors).sort()).toEqual(['limits', 'name', 'permissions', 'printers']);
  });
});
