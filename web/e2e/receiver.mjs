// A local webhook receiver for the browser test: records every request and answers 204.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';

export async function startReceiver() {
  const requests = [];
  const waiters = new Set();
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      let json = null;
      try {
        json = JSON.parse(body.toString('utf8'));
      } catch {
        json = null;
      }
      requests.push({ method: req.method, path: req.url, headers: req.headers, body, json });
      res.writeHead(204);
      res.end();
      for (const w of waiters) w();
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/bambuddy-hook`,
    requests,
    // Resolves with the first recorded request that matches, or rejects at the deadline.
    waitFor(match, timeoutMs, what) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = requests.find(match);
          if (found) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(found);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`receiver: no ${what} within ${timeoutMs} ms (got ${requests.length} requests)`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

// Standard Webhooks: base64 HMAC-SHA256 of "<id>.<timestamp>.<body>" keyed with the secret's bytes.
export function signatureValid(secret, request) {
  const id = request.headers['webhook-id'] ?? '';
  const ts = request.headers['webhook-timestamp'] ?? '';
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key)
    .update(Buffer.concat([Buffer.from(`${id}.${ts}.`), request.body]))
    .digest('base64');
  return String(request.headers['webhook-signature'] ?? '')
    .split(' ')
    .some((entry) => {
      const [version, sig] = entry.split(',');
      return version === 'v1' && sig && sig.length === expected.length && timingSafeEqual(Buffer.from(sig), Buffer.from(expected));
    });
}
