import { api } from './api';
import type { Delivery } from './types';

const POLL_MS = 500;
const GIVE_UP_MS = 130_000; // past the longest attempt timeout (120 s)

// POST /notifications/{id}/test answers 202 with the queued delivery (the test runs on the server's
// own threads); this polls it until its first attempt is stored, and answers with it.
export async function sendTest(providerId: number): Promise<Delivery> {
  let delivery = await api<Delivery>(`/notifications/${providerId}/test`, { method: 'POST' });
  const until = Date.now() + GIVE_UP_MS;
  while (delivery.attempts === 0 && delivery.status === 'pending' && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    delivery = await api<Delivery>(`/notifications/deliveries/${delivery.id}`);
  }
  return delivery;
}
