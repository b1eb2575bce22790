// The connection check before a printer is saved: POST /printers/check answers 202 at once (the
// server waits for the driver's first report on its own threads, at most 10 s) and the check is
// polled until it is finished.
import { api } from './api';
import type { ConnectionCheck } from './types';

const POLL_MS = 250;
const GIVE_UP_MS = 20_000; // the server gives up after 10 s

export async function checkConnection(body: Record<string, unknown>): Promise<ConnectionCheck> {
  let check = await api<ConnectionCheck>('/printers/check', { method: 'POST', body });
  const until = Date.now() + GIVE_UP_MS;
  while (check.status === 'running' && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    check = await api<ConnectionCheck>(`/printers/check/${encodeURIComponent(check.id)}`);
  }
  return check;
}

// What a failed check's reason means and what to do about it.
export function checkReasonText(reason: string | null): string {
  switch (reason) {
    case 'auth_failed':
      return 'The printer refused the access code. Check it on the printer (Settings › Network); it changes when LAN mode is switched off and on.';
    case 'wrong_serial':
      return 'The printer answered but not for this serial number. Check the serial (Settings › Device).';
    case 'tls_error':
      return 'The TLS check failed: the certificate does not match the pinned fingerprint or CA file.';
    case 'timeout':
      return 'No answer in time. Check the address, that the printer is on, and that LAN mode is enabled.';
    case 'unresolvable_host':
      return 'The host name could not be resolved. Use the printer’s IP address.';
    case 'unreachable':
      return 'The printer could not be reached at this address and port. Check the address and that the printer is on.';
    case 'invalid_settings':
      return 'The driver refused these settings.';
    case 'shutting_down':
      return 'The server is shutting down; try again when it is back.';
    default:
      return 'The connection failed.';
  }
}
