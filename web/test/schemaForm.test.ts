import { describe, expect, it } from 'vitest';
import { fieldLabel, fieldsFromSchema, initialValues, parseHeaderLines, valuesToSettings } from '../src/lib/schemaForm';
import type { JsonSchema } from '../src/lib/types';

// Trimmed copies of the notifier plugins' instance schemas.
const webhook: JsonSchema = {
  type: 'object',
  required: ['url'],
  properties: {
    url: { type: 'string', description: 'The receiver' },
    secret: { type: 'string', writeOnly: true, 'x-bambuddy-secret': true, 'x-bambuddy-generate': 'whsec' },
    previous_secret: { type: 'string', writeOnly: true, 'x-bambuddy-secret': true },
    headers: { type: 'object', additionalProperties: { type: 'string' }, writeOnly: true, 'x-bambuddy-secret': true },
    timeout_ms: { type: 'integer', minimum: 100, maximum: 120000, default: 10000 },
  },
};
const email: JsonSchema = {
  type: 'object',
  required: ['smtp_url', 'from', 'to'],
  properties: {
    smtp_url: { type: 'string' },
    starttls: { type: 'string', enum: ['required', 'none'], default: 'required' },
    tls_verify: { type: 'boolean', default: true },
    to: { type: 'array', items: { type: 'string' } },
    templates: { type: 'object', additionalProperties: { type: 'object' } },
    from: { type: 'string' },
  },
};

describe('fieldsFromSchema', () => {
  it('makes one field per property with a kind from its type', () => {
    const f = fieldsFromSchema(webhook, ['previous_secret']);
    expect(f.map((x) => [x.name, x.kind, x.required])).toEqual([
      ['url', 'text', true],
      ['secret', 'secret', false],
      ['headers', 'map', false],
      ['timeout_ms', 'number', false],
    ]);
    expect(f[1].generated).toBe(true);
    expect(f[3].integer).toBe(true);
    const e = fieldsFromSchema(email);
    // Required fields first, in the order of `required`; free-form JSON after the plain ones.
    expect(e.map((x) => [x.name, x.kind])).toEqual([
      ['smtp_url', 'text'],
      ['from', 'text'],
      ['to', 'list'],
      ['starttls', 'select'],
      ['tls_verify', 'checkbox'],
      ['templates', 'json'],
    ]);
    expect(e[3].options).toEqual(['required', 'none']);
  });
  it('puts required fields first and the timeout last whatever the schema order', () => {
    const sorted: JsonSchema = {
      type: 'object',
      required: ['url'],
      properties: { headers: webhook.properties!.headers, secret: webhook.properties!.secret, timeout_ms: webhook.properties!.timeout_ms, url: { type: 'string' } },
    };
    expect(fieldsFromSchema(sorted).map((x) => x.name)).toEqual(['url', 'headers', 'secret', 'timeout_ms']);
  });
  it('labels fields readably', () => {
    expect(fieldLabel('smtp_url')).toBe('SMTP URL');
    expect(fieldLabel('timeout_ms')).toBe('Timeout (ms)');
    expect(fieldLabel('topic')).toBe('Topic');
  });
});

describe('values and settings', () => {
  it('leaves empty optional fields out and converts the rest', () => {
    const f = fieldsFromSchema(webhook, ['previous_secret']);
    const v = initialValues(f);
    expect(v).toEqual({ url: '', secret: '', headers: '', timeout_ms: '' });
    v.url = ' http://127.0.0.1:9000/hook ';
    v.headers = 'Authorization: Bearer abc\nX-Farm: 7';
    v.timeout_ms = '5000';
    expect(valuesToSettings(f, v, false)).toEqual({
      settings: { url: 'http://127.0.0.1:9000/hook', headers: { Authorization: 'Bearer abc', 'X-Farm': '7' }, timeout_ms: 5000 },
      errors: {},
    });
  });
  it('reports missing required fields and bad numbers', () => {
    const f = fieldsFromSchema(webhook, ['previous_secret']);
    const r = valuesToSettings(f, { url: '', secret: '', headers: 'nocolon', timeout_ms: '12.5' }, false);
    expect(r.errors).toEqual({ url: 'required', headers: 'line 1: write it as “Name: value”', timeout_ms: 'enter a whole number' });
    expect(valuesToSettings(f, { url: 'x', timeout_ms: '5' }, false).errors).toEqual({ timeout_ms: 'at least 100' });
  });
  it('keeps stored secrets when editing: they start empty and empty is not sent', () => {
    const f = fieldsFromSchema(webhook, ['previous_secret']);
    const v = initialValues(f, { url: 'http://a/', secret: '********', headers: '********' });
    expect(v.secret).toBe('');
    expect(v.headers).toBe('');
    expect(valuesToSettings(f, v, true).settings).toEqual({ url: 'http://a/' });
    expect(valuesToSettings(f, { ...v, secret: '********' }, true).settings).toEqual({ url: 'http://a/' });
  });
  it('handles selects, checkboxes, lists and JSON', () => {
    const f = fieldsFromSchema(email);
    const v = initialValues(f, { smtp_url: 'smtp://m:587', to: ['a@x.org', 'b@x.org'], tls_verify: false });
    expect(v).toEqual({ smtp_url: 'smtp://m:587', starttls: 'required', tls_verify: false, to: 'a@x.org\nb@x.org', templates: '', from: '' });
    v.templates = '{"*": {"subject": "{{event}}"}}';
    expect(valuesToSettings(f, v, false).errors).toEqual({ from: 'required' });
    expect(valuesToSettings(f, { ...v, from: 'farm@x.org' }, false).settings).toEqual({
      smtp_url: 'smtp://m:587',
      starttls: 'required',
      tls_verify: false,
      to: ['a@x.org', 'b@x.org'],
      templates: { '*': { subject: '{{event}}' } },
      from: 'farm@x.org',
    });
    expect(valuesToSettings(f, { ...v, templates: '{oops' }, false).errors.templates).toBe('not valid JSON');
  });
  it('leaves a default checkbox out when creating', () => {
    const f = fieldsFromSchema(email);
    const v = initialValues(f);
    expect(v.tls_verify).toBe(true);
    expect('tls_verify' in valuesToSettings(f, v, false).settings).toBe(false);
  });
  it('parses header lines', () => {
    expect(parseHeaderLines('A: 1\n\n B : two: parts ')).toEqual({ value: { A: '1', B: 'two: parts' }, error: null });
  });
});
