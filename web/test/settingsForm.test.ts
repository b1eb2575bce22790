import { describe, expect, it } from 'vitest';
import { buildSettingsPatch, settingsToForm } from '../src/lib/settingsForm';
import type { ServerSettings } from '../src/lib/types';

const current: ServerSettings = {
  progress_milestones: [25, 50, 75],
  offline_debounce_s: 60,
  default_rate_limits: { read: 100, write: 30, control: 10 },
  filament_cost_per_kg: 0,
  currency: 'EUR',
  time_zone: 'UTC',
};

describe('buildSettingsPatch', () => {
  it('sends nothing when nothing changed', () => {
    expect(buildSettingsPatch(settingsToForm(current), current)).toEqual({ patch: {}, errors: {} });
  });

  it('sends only the changed fields, rate limits as a partial object', () => {
    const form = { ...settingsToForm(current), progress_milestones: '10 50, 90', rate_write: '60', currency: 'CHF' };
    expect(buildSettingsPatch(form, current)).toEqual({
      patch: { progress_milestones: [10, 50, 90], default_rate_limits: { write: 60 }, currency: 'CHF' },
      errors: {},
    });
  });

  it('marks what the schema refuses', () => {
    const form = {
      ...settingsToForm(current),
      progress_milestones: '10, 10',
      offline_debounce_s: '-1',
      rate_read: '1.5',
      rate_control: '0',
      filament_cost_per_kg: 'x',
      currency: 'eur',
      time_zone: '',
    };
    const { errors } = buildSettingsPatch(form, current);
    expect(errors).toEqual({
      progress_milestones: '10 is listed twice',
      offline_debounce_s: 'at least 0',
      rate_read: 'enter a whole number',
      rate_control: 'at least 1',
      filament_cost_per_kg: 'enter a number',
      currency: expect.stringMatching(/three capital letters/),
      time_zone: expect.stringMatching(/IANA/),
    });
  });

  it('an empty milestone list is allowed (no progress events)', () => {
    const form = { ...settingsToForm(current), progress_milestones: '' };
    expect(buildSettingsPatch(form, current).patch).toEqual({ progress_milestones: [] });
  });
});
