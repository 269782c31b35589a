#!/usr/bin/env python3
"""The driver of tools/bench-report-latency.sh: ROUNDS check-out/return pairs of the rendered car,
the time from each return's `complete` to its report. Usage: bench-report-latency.py BASE_URL KEY ROUNDS FIXTURES"""
import os
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from walkaround_client import Client  # noqa: E402

base, key, rounds, fixtures = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
client = Client(base, key)
times = []
for index in range(rounds):
    plate = f"B-LT {index + 1}"
    for kind in ("checkout", "return"):
        elapsed, body = client.inspect(kind, "BENCH-1", plate, {view: f"{fixtures}/{kind}-{view}.jpg" for view in ("rear", "left")})
    statuses = sorted(f"{d['class_name']}={d['status']}" for d in body["report"]["damages"])
    print(f"round {index + 1}: {elapsed:.0f} ms, {statuses}, prose by {body['provider']}")
    times.append(elapsed)
times.sort()
p90 = times[min(len(times) - 1, int(round(0.9 * (len(times) - 1))))]
print(f"complete → stored report over {rounds} returns: median {statistics.median(times):.0f} ms, p90 {p90:.0f} ms")
