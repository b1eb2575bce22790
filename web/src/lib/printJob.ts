// Starting prints: the plates of a 3MF, the print options as the page offers them (each one unset =
// the printer's default, on or off), the body of print/start and POST /queue, the file transfer
// while a print starts, and the plate-clear gate. Pure functions, unit-tested.
import { ApiError } from './errors';
import { formatDuration, formatGrams } from './format';
import type { PrintOptions, PrinterTransfer } from './types';

// The print options the page offers as on/off; AMS mapping and bed type stay the printer's (or
// the API's) business.
export const PRINT_SWITCHES = [
  { key: 'use_ams', label: 'AMS' },
  { key: 'timelapse', label: 'Timelapse' },
  { key: 'bed_leveling', label: 'Bed levelling' },
  { key: 'flow_cali', label: 'Flow calibration' },
  { key: 'vibration_cali', label: 'Vibration calibration' },
] as const;

export type SwitchKey = (typeof PRINT_SWITCHES)[number]['key'];
// '' = not sent, so the printer (driver) decides.
export type TriState = '' | 'on' | 'off';
export type SwitchChoices = Record<SwitchKey, TriState>;

export function noSwitchChoices(): SwitchChoices {
  return { use_ams: '', timelapse: '', bed_leveling: '', flow_cali: '', vibration_cali: '' };
}

// Only the chosen options, as booleans.
export function chosenOptions(choices: SwitchChoices): Partial<Record<SwitchKey, boolean>> {
  const out: Partial<Record<SwitchKey, boolean>> = {};
  for (const { key } of PRINT_SWITCHES) {
    if (choices[key] === 'on') out[key] = true;
    else if (choices[key] === 'off') out[key] = false;
  }
  return out;
}

// The body of POST /printers/{id}/print/start (and the print part of POST /queue): the archive,
// the plate when one was chosen, and only the options that were chosen.
export function printBody(archiveId: number, plate: number | null, choices: SwitchChoices): Record<string, unknown> {
  return { archive_id: archiveId, ...(plate !== null ? { plate } : {}), ...chosenOptions(choices) };
}

export interface PlateSummary {
  index: number;
  name: string | null;
  print_time_s: number | null;
  weight_g: number | null;
}

const finite = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

// The plates listed in an archive's parsed 3MF metadata, by index; [] when it lists none.
export function platesOf(metadata: Record<string, unknown> | null | undefined): PlateSummary[] {
  const list = metadata?.plates;
  if (!Array.isArray(list)) return [];
  const out: PlateSummary[] = [];
  for (const p of list) {
    if (!p || typeof p !== 'object') continue;
    const plate = p as Record<string, unknown>;
    const index = plate.index;
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 1) continue;
    out.push({
      index,
      name: typeof plate.name === 'string' && plate.name.trim() ? plate.name.trim() : null,
      print_time_s: finite(plate.print_time_s),
      weight_g: finite(plate.weight_g),
    });
  }
  return out.sort((a, b) => a.index - b.index);
}

// "Plate 2 · Brackets · 1h 02m · 14.2 g" (what is unknown is left out).
export function plateLabel(plate: PlateSummary): string {
  const parts = [`Plate ${plate.index}`];
  if (plate.name && plate.name !== `Plate ${plate.index}`) parts.push(plate.name);
  if (plate.print_time_s !== null) parts.push(formatDuration(plate.print_time_s));
  if (plate.weight_g !== null) parts.push(formatGrams(plate.weight_g));
  return parts.join(' · ');
}

// A queue item's print choices in a few words: "plate 2 · AMS off · timelapse on"; '' when it
// prints with the defaults.
export function describePrintChoices(plate: number | null | undefined, options: PrintOptions | null | undefined): string {
  const parts: string[] = [];
  if (typeof plate === 'number') parts.push(`plate ${plate}`);
  const o = options ?? {};
  for (const { key, label } of PRINT_SWITCHES) {
    const v = o[key];
    if (typeof v === 'boolean') parts.push(`${key === 'use_ams' ? label : label.toLowerCase()} ${v ? 'on' : 'off'}`);
  }
  if (Array.isArray(o.ams_mapping)) parts.push(`AMS slots ${o.ams_mapping.map((s) => (s < 0 ? '–' : String(s))).join(',')}`);
  if (typeof o.bed_type === 'string') parts.push(`bed ${o.bed_type.replace(/_/g, ' ')}`);
  return parts.join(' · ');
}

// The plates a refused start names (400 invalid_plate: {"plates": [1, 2]}), or null.
export function platesOfError(err: unknown): number[] | null {
  if (!(err instanceof ApiError) || err.code !== 'invalid_plate') return null;
  const plates = err.body.plates;
  if (!Array.isArray(plates)) return null;
  return plates.filter((p): p is number => typeof p === 'number');
}

// What the plate field says about a refused plate.
export function plateErrorText(err: unknown): string | null {
  const plates = platesOfError(err);
  if (plates === null) return null;
  if (plates.length === 0) return 'The server refused this plate.';
  return plates.length === 1 ? `This file has only plate ${plates[0]}.` : `This file has plates ${plates.join(', ')}.`;
}

// Bytes as a pair in the unit of the total: "12.3 of 50.0 MB".
export function formatBytePair(bytes: number, total: number): string {
  const units = ['B', 'KB', 'MB', 'GB'];
  let unit = 0;
  let scale = 1;
  while (total >= scale * 1024 && unit < units.length - 1) {
    scale *= 1024;
    unit += 1;
  }
  const show = (n: number) => (unit === 0 ? String(Math.round(n)) : (n / scale).toFixed(1));
  return `${show(bytes)} of ${show(total)} ${units[unit]}`;
}

export interface TransferView {
  text: string;
  // 0..100, or null while the size is not known (an indeterminate bar).
  percent: number | null;
}

// What the dashboard shows while a print's file goes to the printer.
export function transferView(t: PrinterTransfer): TransferView {
  const total = typeof t.total === 'number' && t.total > 0 ? t.total : null;
  const bytes = typeof t.bytes === 'number' && t.bytes > 0 ? Math.min(t.bytes, total ?? t.bytes) : 0;
  if (t.phase === 'starting') {
    return { text: t.skipped ? 'Already on the printer · Starting…' : 'Starting…', percent: 100 };
  }
  if (t.skipped) return { text: 'Already on the printer', percent: 100 };
  if (t.phase === 'checking') return { text: 'Checking the printer’s storage…', percent: null };
  if (total === null) return { text: 'Sending to printer…', percent: null };
  return { text: `Sending to printer: ${formatBytePair(bytes, total)}`, percent: (bytes / total) * 100 };
}

// The plate-clear gate as the Printers page offers it. The API gives the effective value only, so
// a printer whose value equals its driver's default shows as the default.
export type PlateClearChoice = 'default' | 'on' | 'off';

// On for real printers, off for simulated ones (nobody stands at a simulated bed).
export function plateClearDefault(capabilities: Record<string, unknown> | null | undefined): boolean {
  return capabilities?.simulated !== true;
}

export function plateClearChoiceOf(effective: boolean, capabilities: Record<string, unknown> | null | undefined): PlateClearChoice {
  if (effective === plateClearDefault(capabilities)) return 'default';
  return effective ? 'on' : 'off';
}

// The PATCH /printers/{id} value of a choice.
export function plateClearValue(choice: PlateClearChoice): boolean | null {
  return choice === 'default' ? null : choice === 'on';
}
