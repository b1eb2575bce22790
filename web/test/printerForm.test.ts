import { describe, expect, it } from 'vitest';
import { bambuFormFrom, buildBambuSettings, destinationChanged, emptyBambuForm } from '../src/lib/printerForm';

const good = { ...emptyBambuForm(), name: 'X1C', host: '192.168.1.50', serial: '01P00A451601106', accessCode: '12345678' };
const stored = { host: '192.168.1.50', serial: '01P00A451601106', access_code: '********', port: 8883 };

describe('buildBambuSettings', () => {
  it('builds the full settings of a new printer, TLS only when chosen', () => {
    expect(buildBambuSettings(good)).toEqual({
      settings: { host: '192.168.1.50', serial: '01P00A451601106', port: 8883, access_code: '12345678' },
      errors: {},
    });
    const pinned = buildBambuSettings({ ...good, tlsMode: 'fingerprint', fingerprint: 'ab'.repeat(32) });
    expect(pinned.settings.tls).toEqual({ fingerprint_sha256: 'ab'.repeat(32) });
  });

  it('marks every wrong field with what is expected', () => {
    const { errors } = buildBambuSettings({
      ...emptyBambuForm(),
      host: 'http://x',
      serial: 'has space',
      port: '70000',
      tlsMode: 'fingerprint',
      fingerprint: 'abc',
    });
    expect(Object.keys(errors).sort()).toEqual(['access_code', 'host', 'name', 'port', 'serial', 'tls.fingerprint_sha256']);
  });

  it('accepts IPv6 addresses and host names', () => {
    expect(buildBambuSettings({ ...good, host: 'fd00::12' }).errors).toEqual({});
    expect(buildBambuSettings({ ...good, host: 'x1c.lan' }).errors).toEqual({});
  });

  it('editing sends only what changed and keeps the stored access code unless retyped', () => {
    const form = bambuFormFrom('X1C', stored);
    expect(form.accessCode).toBe('');
    expect(buildBambuSettings(form, stored)).toEqual({ settings: {}, errors: {} });
    expect(buildBambuSettings({ ...form, serial: '01P00A451601107' }, stored).settings).toEqual({ serial: '01P00A451601107' });
  });

  it('a new address needs the access code again', () => {
    const form = { ...bambuFormFrom('X1C', stored), host: '192.168.1.51' };
    expect(destinationChanged(form, stored)).toBe(true);
    expect(buildBambuSettings(form, stored).errors.access_code).toMatch(/enter it again/);
    const retyped = buildBambuSettings({ ...form, accessCode: 'abcdefgh' }, stored);
    expect(retyped).toEqual({ settings: { host: '192.168.1.51', access_code: 'abcdefgh' }, errors: {} });
  });

  it('switching TLS back to unverified removes the tls block', () => {
    const pinnedStored = { ...stored, tls: { fingerprint_sha256: 'ab'.repeat(32) } };
    const form = { ...bambuFormFrom('X1C', pinnedStored), tlsMode: 'none' as const, accessCode: 'abcdefgh' };
    expect(buildBambuSettings(form, pinnedStored).settings).toEqual({ tls: null, access_code: 'abcdefgh' });
  });
});
