// The request body of POST /notifications/preview for the provider form, and the answer split into
// what the form shows. Pure functions: the form renders, the unit tests check both.
export interface PreviewAnswer {
  type: string;
  event: string;
  notification: Record<string, unknown>;
  preview: { title: string; message: string } & Record<string, unknown>;
}

export interface PreviewShown {
  title: string;
  message: string;
  extras: [string, string][]; // the type's own fields (priority, tags, ...) as name and JSON text
}

// A saved provider is previewed with the form's settings over its stored ones (masked secrets
// stay stored); a new one by its type with the settings as typed.
export function previewBody(
  event: string,
  settings: Record<string, unknown>,
  saved: { providerId: number } | { type: string },
): Record<string, unknown> {
  if ('providerId' in saved) return { event, provider_id: saved.providerId, settings };
  return { event, type: saved.type, settings };
}

// A list of {name, value} pairs (Discord, Slack and Gotify fields) reads as "Name: value" lines.
function asPairs(value: unknown): string | null {
  if (!Array.isArray(value) || value.length === 0) return null;
  const lines: string[] = [];
  for (const item of value) {
    if (item === null || typeof item !== 'object') return null;
    const { name, value: v } = item as Record<string, unknown>;
    if (typeof name !== 'string' || (typeof v !== 'string' && typeof v !== 'number')) return null;
    lines.push(`${name}: ${v}`);
  }
  return lines.join('\n');
}

export function shownPreview(answer: PreviewAnswer): PreviewShown {
  const { title, message, ...rest } = answer.preview;
  const extras: [string, string][] = Object.entries(rest).map(([name, value]) => [
    name,
    typeof value === 'string' ? value : asPairs(value) ?? JSON.stringify(value, null, 2),
  ]);
  return { title: title ?? '', message: message ?? '', extras };
}
