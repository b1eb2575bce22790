import { describe, expect, it } from 'vitest';
import { lastDays, niceMax, ticks } from '../src/lib/chart';
import { moveItem } from '../src/pages/Queue';

const row = (date: string, successful: number, failed: number, cancelled: number) => ({
  date,
  successful,
  failed,
  cancelled,
  total_prints: successful + failed + cancelled,
  success_rate: null,
  total_print_time: 0,
  total_filament: 0,
});

describe('lastDays', () => {
  it('fills days without prints with zeros and ends today (UTC)', () => {
    const now = Date.parse('2024-01-15T10:00:00Z');
    const days = lastDays([row('2024-01-13', 3, 1, 0), row('2024-01-15', 0, 0, 2), row('2023-12-01', 9, 9, 9)], 4, now);
    expect(days.map((d) => d.date)).toEqual(['2024-01-12', '2024-01-13', '2024-01-14', '2024-01-15']);
    expect(days.map((d) => d.total)).toEqual([0, 4, 0, 2]);
    expect(days.map((d) => d.successRate)).toEqual([null, 75, null, 0]);
  });
});

describe('axes', () => {
  it('rounds maxima up to 1, 2 or 5 times a power of ten', () => {
    expect(niceMax(0)).toBe(1);
    expect(niceMax(3)).toBe(5);
    expect(niceMax(7)).toBe(10);
    expect(niceMax(11)).toBe(20);
    expect(niceMax(180)).toBe(200);
    expect(niceMax(501)).toBe(1000);
  });
  it('spaces whole-number ticks evenly', () => {
    expect(ticks(1)).toEqual([0, 1]);
    expect(ticks(2)).toEqual([0, 1, 2]);
    expect(ticks(5)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(ticks(10)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(ticks(20)).toEqual([0, 5, 10, 15, 20]);
    expect(ticks(50)).toEqual([0, 10, 20, 30, 40, 50]);
    expect(ticks(200)).toEqual([0, 50, 100, 150, 200]);
  });
});

describe('moveItem', () => {
  it('moves one entry and leaves the input alone', () => {
    const list = [1, 2, 3, 4];
    expect(moveItem(list, 0, 2)).toEqual([2, 3, 1, 4]);
    expect(moveItem(list, 3, 0)).toEqual([4, 1, 2, 3]);
    expect(moveItem(list, 1, 9)).toEqual([1, 2, 3, 4]);
    expect(list).toEqual([1, 2, 3, 4]);
  });
});
