"""Parses a Prometheus text exposition from stdin with the Prometheus project's own Python parser
and prints what it understood as JSON, so the Rust tests can check the exposition independently of
the encoder that wrote it. Exits non-zero (with the parser's message) on invalid input."""

import json
import sys

from prometheus_client.parser import text_string_to_metric_families

families = []
for family in text_string_to_metric_families(sys.stdin.read()):
    families.append({
        "name": family.name,
        "type": family.type,
        "help": family.documentation,
        "samples": [
            {"name": s.name, "labels": s.labels, "value": s.value} for s in family.samples
        ],
    })
json.dump(families, sys.stdout)
