import { describe, expect, it } from 'vitest';
import { ApiError, apiErrorFrom, explainError } from '../src/lib/errors';

describe('apiErrorFrom', () => {
  it('reads detail, code, required and Retry-After', () => {
    const e = apiErrorFrom(
      403,
      '{"detail":"API key lacks permission \'archives:read\'","code":"forbidden","required":"archives:read"}',
      null,
    );
    expect(e.status).toBe(403);
    expect(e.code).toBe('forbidden');
    expect(e.detail).toBe("API key lacks permission 'archives:read'");
    expect(e.required).toBe('archives:read');
    const r = apiErrorFrom(429, '{"detail":"rate limit exceeded","code":"rate_limited"}', '42');
    expect(r.retryAfterS).toBe(42);
  });
  it('keeps a body that is not JSON as the detail', () => {
    expect(apiErrorFrom(502, 'Bad Gateway', null).detail).toBe('Bad Gateway');
    expect(apiErrorFrom(500, '', null).detail).toBe('HTTP 500');
  });
  it('collects the list of field errors', () => {
    const e = apiErrorFrom(400, '{"detail":"invalid settings","code":"invalid","errors":["a: bad","b: worse"]}', null);
    expect(e.errors).toEqual([
      { path: null, message: 'a: bad' },
      { path: null, message: 'b: worse' },
    ]);
    expect(explainError(e).detail).toBe('invalid settings\na: bad\nb: worse');
  });
  it('reads structured errors and does not repeat what the detail says', () => {
    const body = JSON.stringify({
      detail: 'settings.topic: does not match pattern ^x$',
      code: 'invalid_settings',
      errors: [
        { path: 'settings.topic', message: 'does not match pattern ^x$' },
        { path: 'events[1]', message: "unknown event 'print_done'" },
      ],
    });
    const e = apiErrorFrom(400, body, null);
    expect(e.errors[0]).toEqual({ path: 'settings.topic', message: 'does not match pattern ^x$' });
    expect(explainError(e).detail).toBe("settings.topic: does not match pattern ^x$\nevents[1]: unknown event 'print_done'");
  });
});

describe('explainError', () => {
  it('explains 401 per code in plain words, with the detail', () => {
    const x = explainError(new ApiError(401, 'invalid_api_key', 'invalid API key'));
    expect(x.title).toContain('401');
    expect(x.hint).toMatch(/deleted|rotated/);
    expect(x.detail).toBe('invalid API key');
    expect(explainError(new ApiError(401, 'api_key_expired', 'expired')).hint).toMatch(/expired/);
    expect(explainError(new ApiError(401, 'api_key_disabled', 'disabled')).hint).toMatch(/disabled/);
    expect(explainError(new ApiError(401, 'ip_not_allowed', 'no')).hint).toMatch(/address/);
    expect(explainError(new ApiError(401, 'other', 'x')).hint).toMatch(/correct/);
  });
  it('names the missing permission on 403', () => {
    const x = explainError(new ApiError(403, 'forbidden', 'nope', { required: 'printers:control' }));
    expect(x.title).toContain('403');
    expect(x.hint).toContain('Control Printers');
  });
  it('says how long to wait on 429', () => {
    expect(explainError(new ApiError(429, 'rate_limited', 'slow down', { retryAfterS: 12 })).hint).toContain('Wait 12 s');
    expect(explainError(new ApiError(429, 'rate_limited', 'slow down')).hint).toContain('runaway automation');
  });
  it('shows other failures with their status and detail', () => {
    const x = explainError(new ApiError(409, 'conflict', 'printer is idle'));
    expect(x.title).toBe('Request failed (409)');
    expect(x.detail).toBe('printer is idle');
  });
  it('treats thrown non-API errors as an unreachable server', () => {
    expect(explainError(new TypeError('Failed to fetch')).title).toMatch(/could not be reached/);
  });
});
