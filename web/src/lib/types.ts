// Shapes of the API's answers, as far as the screens use them (docs/api.md, openapi.json).

export interface RateLimits {
  read: number | null;
  write: number | null;
  control: number | null;
}

export interface Me {
  id: number | string;
  name: string;
  permissions: string[];
  rate_limits: RateLimits;
  expires_at: string | null;
  prefix: string | null;
}

export interface ApiKey {
  id: number;
  name: string;
  prefix: string;
  last4: string;
  permissions: string[];
  enabled: boolean;
  created_at: string;
  updated_at: string;
  expires_at: string | null;
  allowed_ips: string[];
  rate_limits: RateLimits;
  last_used_at: string | null;
  last_used_ip: string | null;
  request_count: number;
  previous_key_valid_until: string | null;
  // The printers the key may see and control; null (or absent on older servers) = all printers.
  printer_ids?: number[] | null;
}

export interface CreatedApiKey extends ApiKey {
  key: string;
}

export interface PrinterError {
  code: string;
  severity?: string;
  module?: string;
  message?: string;
}

// The file of a starting print on its way to the printer (status.transfer, state preparing).
export interface PrinterTransfer {
  phase: 'checking' | 'uploading' | 'starting' | string;
  bytes?: number;
  total?: number;
  file?: string;
  skipped?: boolean;
}

export interface PrinterStatus {
  id: number;
  name: string;
  connected: boolean;
  state: string;
  progress?: number | null;
  remaining_time?: number | null;
  temperature?: number | null;
  temperatures?: Record<string, number>;
  layer?: number | null;
  total_layers?: number | null;
  current_print?: { filename?: string; name?: string; started_at?: string | null; job_id?: string } | null;
  errors?: PrinterError[];
  // Messages below the driver's error threshold (shown, but they fire no printer_error).
  notices?: PrinterError[];
  transfer?: PrinterTransfer | null;
  // A print ended: the queue waits until someone confirms the bed is clear.
  awaiting_plate_clear?: boolean;
  print_error?: string | null;
  connection_error?: string | null;
  updated_at?: string | null;
}

export interface PrinterSummary {
  id: number;
  name: string;
  driver: string;
  source: string;
  model: string | null;
  status: PrinterStatus;
}

export interface Archive {
  id: number;
  status: string;
  name: string;
  filename: string | null;
  printer_id: number | null;
  printer: string | null;
  started_at: string | null;
  ended_at: string | null;
  duration: number | null;
  progress: number | null;
  filament_used: number | null;
  filament_type: string | null;
  estimated_time: number | null;
  error: { code?: string; message?: string } | null;
  notes: string;
  tags: string[];
  favourite: boolean;
  has_file: boolean;
  has_thumbnail: boolean;
  file_size?: number | null;
  metadata: Record<string, unknown> | null;
  created_at: string;
  updated_at: string;
}

// The print options of print/start and queue items; absent = the printer's default.
export interface PrintOptions {
  use_ams?: boolean;
  ams_mapping?: number[];
  bed_leveling?: boolean;
  flow_cali?: boolean;
  vibration_cali?: boolean;
  timelapse?: boolean;
  bed_type?: string;
}

// 202 answer of POST /printers/{id}/print/start.
export interface PrintStart {
  printer_id: number;
  accepted: boolean;
  archive_id: number;
  plate: number;
  print: Archive | null;
  status: PrinterStatus;
  result: Record<string, unknown>;
}

export interface QueueItem {
  id: number;
  archive_id: number;
  name: string | null;
  printer_id: number | null;
  position: number;
  scheduled_at: string | null;
  status: string;
  reason: string | null;
  assigned_printer_id: number | null;
  print_archive_id: number | null;
  plate?: number | null;
  options?: PrintOptions;
  started_at: string | null;
  ended_at: string | null;
}

export interface Totals {
  total_prints: number;
  successful: number;
  failed: number;
  cancelled: number;
  success_rate: number | null;
  total_print_time: number;
  total_filament: number;
  filament_cost?: number;
}

export interface Statistics extends Totals {
  currency: string | null;
  per_printer: (Totals & { printer_id: number | null; printer: string | null })[];
  // The series' period, chosen by the server from the range (a range of up to 92 days is daily).
  bucket: 'day' | 'week' | 'month' | 'year';
  series: (Totals & { date: string })[];
}

export interface PluginInfo {
  name: string;
  kind: string;
  version: string;
  abi: string;
  description?: string;
  required?: boolean;
  instances?: string[];
}

export interface AuditEntry {
  id: number;
  at: string;
  kind: string;
  client_ip: string | null;
  method: string | null;
  path: string | null;
  principal_id: string | null;
  principal_name: string | null;
  key_prefix: string | null;
  reason: string | null;
  detail: Record<string, unknown> | null;
}

export interface QuietHours {
  start: string;
  end: string;
  timezone?: string;
}

export interface Provider {
  id: number;
  name: string;
  type: string;
  plugin: string;
  instance_id: string;
  source: string;
  enabled: boolean;
  disabled_reason: string | null;
  disabled_at: string | null;
  failing_since: string | null;
  settings: Record<string, unknown>;
  events: string[] | null;
  printer_ids: number[] | null;
  quiet_hours: QuietHours | null;
  problem: string | null;
  created_at: string;
  updated_at: string;
  secret?: string;
}

export interface ProviderType {
  type: string;
  plugin: string;
  description: string;
  version: string;
  generated_secrets: string[];
  settings_schema: JsonSchema;
}

export interface EventInfo {
  event: string;
  description: string;
  sample?: unknown;
}

export interface DeliveryAttempt {
  attempt: number;
  at: string;
  duration_ms?: number;
  outcome: string;
  http_status?: number | null;
  error?: string | null;
  next_attempt_at?: string | null;
}

export interface Delivery {
  id: number;
  provider_id: number;
  event: string;
  event_id: string;
  status: string;
  attempts: number;
  next_attempt_at: string | null;
  http_status: number | null;
  error: string | null;
  response_snippet: string | null;
  redelivery_of: number | null;
  created_at: string;
  updated_at: string;
  delivered_at: string | null;
  history?: DeliveryAttempt[];
}

export interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: unknown[];
  default?: unknown;
  items?: JsonSchema;
  additionalProperties?: boolean | JsonSchema;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  writeOnly?: boolean;
  'x-bambuddy-secret'?: boolean;
  'x-bambuddy-generate'?: string;
  [key: string]: unknown;
}

export interface PrinterDetails extends PrinterSummary {
  instance_id: string;
  // The plate-clear gate in effect (the printer's choice, or its driver's default).
  require_plate_clear?: boolean;
  settings: Record<string, unknown>;
  capabilities: Record<string, unknown>;
  firmware: string | null;
  created_at: string;
  updated_at: string;
}

// POST /printers/check and GET /printers/check/{id}.
export interface ConnectionCheck {
  id: string;
  driver: string;
  printer_id: number | null;
  status: 'running' | 'ok' | 'failed';
  reason: string | null;
  detail: string | null;
  model: string | null;
  firmware: string | null;
  started_at: string;
  finished_at: string | null;
  duration_ms: number | null;
}

// GET/PATCH /settings.
export interface ServerSettings {
  progress_milestones: number[];
  offline_debounce_s: number;
  default_rate_limits: { read: number; write: number; control: number };
  filament_cost_per_kg: number;
  currency: string;
  time_zone: string;
}
