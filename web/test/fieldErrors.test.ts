import { describe, expect, it } from 'vitest';
import { ApiError } from '../src/lib/errors';
import { fieldErrorsFrom } from '../src/lib/fieldErrors';

describe('fieldErrorsFrom', () => {
  it('maps settings problem strings to their fields, nested paths to the known parent', () => {
    const err = new ApiError(400, 'invalid_settings', 'currency: does not match pattern', {
      errors: [
        { path: null, message: 'currency: does not match pattern ^[A-Z]{3}$' },
        { path: null, message: 'default_rate_limits.read: must be at least 1' },
        { path: null, message: 'progress_milestones[1]: must be at most 99' },
      ],
    });
    expect(fieldErrorsFrom(err, ['currency', 'default_rate_limits.read', 'progress_milestones'])).toEqual({
      currency: 'does not match pattern ^[A-Z]{3}$',
      'default_rate_limits.read': 'must be at least 1',
      progress_milestones: 'must be at most 99',
    });
  });

  it('reads a printer detail with several problems after the settings prefix', () => {
    const err = new ApiError(400, 'invalid_settings', 'settings: host: does not match pattern; port: must be at most 65535');
    expect(fieldErrorsFrom(err, ['host', 'port', 'serial'], 'settings')).toEqual({
      host: 'does not match pattern',
      port: 'must be at most 65535',
    });
  });

  it('marks the secret the server wants again', () => {
    const err = new ApiError(400, 'secret_required', 'settings.host changes where this printer connects', {
      fields: ['settings.access_code'],
    });
    const marks = fieldErrorsFrom(err, ['host', 'access_code'], 'settings');
    expect(marks.access_code).toMatch(/enter it again/);
  });

  it('ignores what names no known field and anything that is not an ApiError', () => {
    expect(fieldErrorsFrom(new ApiError(500, 'x', 'boom'), ['host'])).toEqual({});
    expect(fieldErrorsFrom(new Error('x'), ['host'])).toEqual({});
  });
});
