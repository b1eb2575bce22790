#!/usr/bin/python3
"""Parses a Prometheus text exposition with the reference Python client's parser (Debian's
python3-prometheus-client) and prints one JSON object per sample: {"name", "labels", "value"}.
Exits 1 with the parser's complaint on stderr when the text is not valid exposition format."""
import json
import math
import sys

from prometheus_client.parser import text_string_to_metric_families


def main() -> int:
    with open(sys.argv[1], encoding="utf-8") as f:
        text = f.read()
    try:
        families = list(text_string_to_metric_families(text))
    except Exception as e:  # the parser raises ValueError and others on bad input
        print(f"not valid exposition format: {e}", file=sys.stderr)
        return 1
    for family in families:
        for sample in family.samples:
            value = sample.value
            if math.isinf(value):
                value = "+Inf" if value > 0 else "-Inf"
            elif math.isnan(value):
                value = "NaN"
            print(json.dumps({"family": family.name, "type": family.type, "name": sample.name,
                              "labels": sample.labels, "value": value}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
