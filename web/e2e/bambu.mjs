// A Bambu printer for the browser test: a real mosquitto broker with TLS (its own CA) and a
// password (the access code), and tools/bambu-printer-sim connected to it as the printer. The
// Printers screen's connection check then talks to it exactly as to a printer in LAN mode.
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

function tool(args, cwd) {
  execFileSync(args[0], args.slice(1), { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
}

async function waitFor(what, check, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function stopChild(child, exited) {
  return new Promise((resolveStop) => {
    if (exited()) return resolveStop();
    child.once('exit', () => resolveStop());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5000).unref();
  });
}

// Starts mosquitto on `port` (free, loopback) with user bblp and `accessCode` as its password.
export async function startBroker(dir, port, accessCode) {
  mkdirSync(dir, { recursive: true });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  tool(['openssl', 'req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=e2e-ca'], dir);
  tool(['openssl', 'req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost'], dir);
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n');
  tool(['openssl', 'x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial',
    '-out', 'server.crt', '-days', '2', '-extfile', 'ext.cnf'], dir);
  writeFileSync(join(dir, 'passwd'), '');
  tool(['mosquitto_passwd', '-b', 'passwd', 'bblp', accessCode], dir);
  const log = join(dir, 'mosquitto.log');
  writeFileSync(
    join(dir, 'mosquitto.conf'),
    [
      'user root', // as root mosquitto would switch to its own user, who cannot read the key
      'per_listener_settings false',
      'allow_anonymous false',
      `password_file ${join(dir, 'passwd')}`,
      'persistence false',
      `log_dest file ${log}`,
      `listener ${port} 127.0.0.1`,
      `cafile ${join(dir, 'ca.crt')}`,
      `certfile ${join(dir, 'server.crt')}`,
      `keyfile ${join(dir, 'server.key')}`,
      '',
    ].join('\n'),
  );
  const child = spawn('mosquitto', ['-c', join(dir, 'mosquitto.conf')], { stdio: 'ignore' });
  let exited = false;
  child.on('exit', () => (exited = true));
  await waitFor(
    'mosquitto to run',
    () => {
      if (exited) throw new Error(`mosquitto exited: ${existsSync(log) ? readFileSync(log, 'utf8') : ''}`);
      return existsSync(log) && / running$/m.test(readFileSync(log, 'utf8'));
    },
    15_000,
  );
  return { port, caFile: join(dir, 'ca.crt'), stop: () => stopChild(child, () => exited) };
}

// Starts the printer simulator as printer `serial` on `broker`; resolves once it is connected.
export async function startPrinterSim(binary, broker, serial, accessCode) {
  const child = spawn(
    binary,
    ['--host', '127.0.0.1', '--port', String(broker.port), '--cafile', broker.caFile, '--user', 'bblp',
      '--password', accessCode, '--serial', serial, '--interval-ms', '500'],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let out = '';
  let exited = false;
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  child.on('exit', () => (exited = true));
  await waitFor(
    'the printer simulator to connect',
    () => {
      if (exited) throw new Error(`the printer simulator exited: ${out}`);
      return /^ready/m.test(out);
    },
    15_000,
  );
  return {
    stop: () => {
      child.stdin.end('quit\n');
      return stopChild(child, () => exited);
    },
  };
}
