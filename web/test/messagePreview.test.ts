import { describe, expect, it } from 'vitest';
import { previewBody, shownPreview } from '../src/lib/messagePreview';

describe('previewBody', () => {
  it('previews a saved provider by its id with the form settings over the stored ones', () => {
    expect(previewBody('print_complete', { topic: 'farm' }, { providerId: 4 })).toEqual({
      event: 'print_complete',
      provider_id: 4,
      settings: { topic: 'farm' },
    });
  });
  it('previews a new provider by its type', () => {
    expect(previewBody('print_failed', {}, { type: 'discord' })).toEqual({
      event: 'print_failed',
      type: 'discord',
      settings: {},
    });
  });
});

describe('shownPreview', () => {
  it('keeps title and message and lists the type’s own fields', () => {
    const shown = shownPreview({
      type: 'ntfy',
      event: 'print_complete',
      notification: {},
      preview: { title: 'Done: benchy', message: 'X1C finished', priority: 4, tags: ['white_check_mark'] },
    });
    expect(shown.title).toBe('Done: benchy');
    expect(shown.message).toBe('X1C finished');
    expect(shown.extras).toEqual([
      ['priority', '4'],
      ['tags', '[\n  "white_check_mark"\n]'],
    ]);
  });
  it('shows name/value fields as lines', () => {
    const shown = shownPreview({
      type: 'discord',
      event: 'print_complete',
      notification: {},
      preview: {
        title: 't',
        message: 'm',
        fields: [
          { name: 'Printer', value: 'X1C' },
          { name: 'Filament', value: '45.2 g' },
        ],
      },
    });
    expect(shown.extras).toEqual([['fields', 'Printer: X1C\nFilament: 45.2 g']]);
  });
});
