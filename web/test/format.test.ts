import { describe, expect, it } from 'vitest';
import {
  clampPercent,
  formatAgo,
  formatBytes,
  formatDuration,
  formatGrams,
  formatPercent,
  formatTemperature,
  localInputToIsoUtc,
  splitList,
  stateLabel,
} from '../src/lib/format';

describe('formatDuration', () => {
  it('writes seconds, minutes, hours and days', () => {
    expect(formatDuration(42)).toBe('42s');
    expect(formatDuration(245)).toBe('4m 05s');
    expect(formatDuration(8100)).toBe('2h 15m');
    expect(formatDuration(3600)).toBe('1h 00m');
    expect(formatDuration(90061)).toBe('1d 1h');
    expect(formatDuration(0)).toBe('0s');
  });
  it('shows unknown and nonsense as a dash', () => {
    expect(formatDuration(null)).toBe('—');
    expect(formatDuration(undefined)).toBe('—');
    expect(formatDuration(-5)).toBe('—');
    expect(formatDuration(Number.NaN)).toBe('—');
  });
});

describe('formatTemperature', () => {
  it('shows the current value and the target when heating', () => {
    expect(formatTemperature(219.54, 220)).toBe('219.5 °C → 220 °C');
    expect(formatTemperature(60, 0)).toBe('60 °C');
    expect(formatTemperature(25.04)).toBe('25 °C');
    expect(formatTemperature(null, 220)).toBe('—');
  });
});

describe('numbers', () => {
  it('formats percent, grams and bytes', () => {
    expect(formatPercent(42)).toBe('42 %');
    expect(formatPercent(33.333)).toBe('33.3 %');
    expect(formatPercent(null)).toBe('—');
    expect(clampPercent(140)).toBe(100);
    expect(clampPercent(-3)).toBe(0);
    expect(clampPercent(null)).toBe(0);
    expect(formatGrams(45.25)).toBe('45.3 g');
    expect(formatGrams(1250)).toBe('1.25 kg');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(5 * 1024 * 1024)).toBe('5 MB');
  });
});

describe('times', () => {
  const now = Date.parse('2024-01-15T14:30:00Z');
  it('says how long ago', () => {
    expect(formatAgo(null, now)).toBe('never');
    expect(formatAgo('2024-01-15T14:29:30Z', now)).toBe('just now');
    expect(formatAgo('2024-01-15T14:25:00Z', now)).toBe('5 min ago');
    expect(formatAgo('2024-01-15T11:30:00Z', now)).toBe('3 h ago');
    expect(formatAgo('2024-01-14T14:30:00Z', now)).toBe('1 day ago');
    expect(formatAgo('2024-01-10T14:30:00Z', now)).toBe('5 days ago');
  });
  it('turns a datetime-local value into UTC ISO without milliseconds', () => {
    const iso = localInputToIsoUtc('2027-01-01T00:00');
    expect(iso).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(new Date(iso!).getTime()).toBe(new Date('2027-01-01T00:00').getTime());
    expect(localInputToIsoUtc('')).toBeNull();
    expect(localInputToIsoUtc('nonsense')).toBeNull();
  });
});

describe('misc', () => {
  it('splits lists on commas, spaces and new lines', () => {
    expect(splitList('192.168.1.0/24, fd00::/8\n10.0.0.1  ')).toEqual(['192.168.1.0/24', 'fd00::/8', '10.0.0.1']);
    expect(splitList('  ')).toEqual([]);
  });
  it('names printer states', () => {
    expect(stateLabel('printing')).toBe('Printing');
    expect(stateLabel('offline')).toBe('Offline');
    expect(stateLabel('warp')).toBe('warp');
    expect(stateLabel(null)).toBe('Unknown');
  });
});
