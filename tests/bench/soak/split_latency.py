#!/usr/bin/python3
"""Splits the soak bench's report -> webhook latency at the server's detection log line.

usage: tests/bench/soak/split_latency.py LOG_DIR   (the --log-dir of a soak_bench run)

report -> detect: the simulator's publish of the report with the new gcode_state to the registry's
"<event> on printer N" info line (driver, status intake, detector, journal append; ms resolution).
detect -> webhook: from that line to the receiver's arrival (journal pump, archives, outbox,
delivery). Shown for events caused in the first minute and after it.
"""
import collections
import datetime
import re
import sys


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))] if values else -1


def main(log_dir):
    detected = collections.defaultdict(list)
    line_re = re.compile(r'(\S+) INFO \[printers\] (print_started|print_complete|print_failed) on printer (\d+)')
    for line in open(log_dir + '/server.log'):
        m = line_re.match(line)
        if m:
            t = datetime.datetime.strptime(m.group(1), '%Y-%m-%dT%H:%M:%S.%fZ')
            us = int(t.replace(tzinfo=datetime.timezone.utc).timestamp() * 1e6)
            detected[(int(m.group(3)), m.group(2))].append(us)
    caused = {}
    by_printer = collections.defaultdict(list)
    for line in open(log_dir + '/caused.tsv'):
        printer, event, job, us = line.split('\t')
        caused[(int(printer), event, int(job))] = int(us)
        by_printer[(int(printer), event)].append((int(us), int(job)))
    # The n-th detection of (printer, event) belongs to the n-th event the printer caused.
    detect_us = {}
    for key, jobs in by_printer.items():
        jobs.sort()
        for (us, job), seen in zip(jobs, sorted(detected.get(key, []))):
            detect_us[(key[0], key[1], job)] = seen
    start = min(caused.values())
    rows = []
    for line in open(log_dir + '/arrived.tsv'):
        _, printer, event, job, arrival, _ = line.rstrip('\n').split('\t')
        key = (int(printer), event, int(job))
        if key in caused and key in detect_us:
            rows.append(((caused[key] - start) / 1e6, (detect_us[key] - caused[key]) / 1e3,
                         (int(arrival) - detect_us[key]) / 1e3))
    for label, low, high in [('first minute', 0, 60), ('after it', 60, float('inf')), ('all', 0, float('inf'))]:
        part = [r for r in rows if low <= r[0] < high]
        a, b = [r[1] for r in part], [r[2] for r in part]
        print(f'{label:13} {len(part):7} deliveries: report->detect p50 {percentile(a, 50):.1f} '
              f'p99 {percentile(a, 99):.1f} ms | detect->webhook p50 {percentile(b, 50):.1f} '
              f'p99 {percentile(b, 99):.1f} ms')


if __name__ == '__main__':
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
