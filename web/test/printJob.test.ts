import { describe, expect, it } from 'vitest';
import { apiErrorFrom } from '../src/lib/errors';
import {
  chosenOptions,
  describePrintChoices,
  formatBytePair,
  noSwitchChoices,
  plateClearChoiceOf,
  plateClearValue,
  plateErrorText,
  plateLabel,
  platesOf,
  printBody,
  transferView,
} from '../src/lib/printJob';

const MB = 1024 * 1024;

describe('printBody', () => {
  it('sends only the archive when nothing was chosen', () => {
    expect(printBody(12, null, noSwitchChoices())).toEqual({ archive_id: 12 });
  });

  it('sends the plate and only the options chosen on or off', () => {
    const choices = { ...noSwitchChoices(), timelapse: 'off' as const, bed_leveling: 'on' as const };
    expect(printBody(12, 2, choices)).toEqual({ archive_id: 12, plate: 2, timelapse: false, bed_leveling: true });
    expect(Object.keys(chosenOptions(choices)).sort()).toEqual(['bed_leveling', 'timelapse']);
  });

  it('sends every option when all are chosen', () => {
    const all = { use_ams: 'off', timelapse: 'on', bed_leveling: 'off', flow_cali: 'on', vibration_cali: 'off' } as const;
    expect(chosenOptions(all)).toEqual({
      use_ams: false,
      timelapse: true,
      bed_leveling: false,
      flow_cali: true,
      vibration_cali: false,
    });
  });
});

describe('platesOf / plateLabel', () => {
  it('reads the plates of the 3MF metadata in index order, skipping broken entries', () => {
    const plates = platesOf({
      plates: [
        { index: 2, name: 'Brackets', print_time_s: 3720, weight_g: 14.2 },
        { index: 1, name: '', print_time_s: null, weight_g: 1500 },
        { index: 0 },
        'x',
        { name: 'no index' },
      ],
    });
    expect(plates.map((p) => p.index)).toEqual([1, 2]);
    expect(plateLabel(plates[0])).toBe('Plate 1 · 1.50 kg');
    expect(plateLabel(plates[1])).toBe('Plate 2 · Brackets · 1h 02m · 14.2 g');
  });

  it('gives no plates for metadata without a list', () => {
    expect(platesOf(null)).toEqual([]);
    expect(platesOf({ plates: 'many' })).toEqual([]);
  });
});

describe('describePrintChoices', () => {
  it('says what a queue item prints with, compactly', () => {
    expect(describePrintChoices(2, { use_ams: false, timelapse: true, ams_mapping: [0, -1], bed_type: 'textured_plate' })).toBe(
      'plate 2 · AMS off · timelapse on · AMS slots 0,– · bed textured plate',
    );
    expect(describePrintChoices(null, {})).toBe('');
    expect(describePrintChoices(undefined, undefined)).toBe('');
  });
});

describe('plateErrorText', () => {
  it('names the plates a refused start lists', () => {
    const err = apiErrorFrom(400, JSON.stringify({ code: 'invalid_plate', detail: 'plate 3: this file has plates 1, 2', plates: [1, 2] }), null);
    expect(plateErrorText(err)).toBe('This file has plates 1, 2.');
    const one = apiErrorFrom(400, JSON.stringify({ code: 'invalid_plate', detail: 'plate 3: this file has plate 1', plates: [1] }), null);
    expect(plateErrorText(one)).toBe('This file has only plate 1.');
  });

  it('is null for other errors', () => {
    expect(plateErrorText(apiErrorFrom(400, JSON.stringify({ code: 'invalid_option', detail: 'use_ams: true or false' }), null))).toBeNull();
    expect(plateErrorText(new Error('x'))).toBeNull();
  });
});

describe('transferView', () => {
  it('shows the bytes sent in the unit of the total', () => {
    const v = transferView({ phase: 'uploading', bytes: Math.round(12.3 * MB), total: 50 * MB, file: '/a.3mf', skipped: false });
    expect(v.text).toBe('Sending to printer: 12.3 of 50.0 MB');
    expect(v.percent).toBeCloseTo(24.6, 1);
    expect(formatBytePair(500, 900)).toBe('500 of 900 B');
    expect(formatBytePair(1536, 4096)).toBe('1.5 of 4.0 KB');
  });

  it('says when the file was already there, when it starts and while it checks', () => {
    expect(transferView({ phase: 'uploading', bytes: 0, total: 50 * MB, skipped: true })).toEqual({ text: 'Already on the printer', percent: 100 });
    expect(transferView({ phase: 'starting', bytes: 50 * MB, total: 50 * MB, skipped: false })).toEqual({ text: 'Starting…', percent: 100 });
    expect(transferView({ phase: 'checking', bytes: 0, total: 50 * MB }).percent).toBeNull();
    expect(transferView({ phase: 'uploading' }).percent).toBeNull();
  });

  it('never shows more than the total', () => {
    expect(transferView({ phase: 'uploading', bytes: 60, total: 50 }).percent).toBe(100);
  });
});

describe('plate-clear choice', () => {
  it('shows a value equal to the driver default as the default', () => {
    expect(plateClearChoiceOf(true, {})).toBe('default');
    expect(plateClearChoiceOf(false, {})).toBe('off');
    expect(plateClearChoiceOf(false, { simulated: true })).toBe('default');
    expect(plateClearChoiceOf(true, { simulated: true })).toBe('on');
  });

  it('sends null for the default', () => {
    expect(plateClearValue('default')).toBeNull();
    expect(plateClearValue('on')).toBe(true);
    expect(plateClearValue('off')).toBe(false);
  });
});
