#!/usr/bin/env python3
"""`make bench`'s measuring side: Walkaround against the peer services, interleaved in one run.

Each service is a running process (pid and base URL given). For every photo and concurrency
(1, then 4 in flight) the services take turns, round after round, so that noise on this shared
machine falls on all of them alike. Per request: Walkaround's time runs from the upload's first
byte until the photo's findings are stored (the client polls the inspection every 5 ms one at a
time and every 25 ms four at a time, as a station app without an event stream would); a peer's
from the request's first byte to its answer (it stores nothing). Every upload carries a unique
JPEG comment, so no service sees the same bytes twice (Walkaround would skip writing a file it
already has). Per service and case: median and p90 latency, photos per second, CPU milliseconds
per photo (utime + stime of the process over the case, /proc), and peak resident memory per photo
in flight (the peak over the case, sampled every 5 ms, above the idle resident set, divided by
the concurrency). Prints a Markdown table and writes it as JSON.
Usage: compare.py OUT.json KEY PHOTOS... -- NAME=PID@URL ...   (NAME walkaround speaks the Walkaround API)"""
import http.client
import json
import os
import statistics
import sys
import threading
import time
import urllib.parse

separator = sys.argv.index("--")
out, key, photos = sys.argv[1], sys.argv[2], sys.argv[3:separator]
services = []
for spec in sys.argv[separator + 1:]:
    name, rest = spec.split("=", 1)
    pid, url = rest.split("@", 1)
    services.append((name, int(pid), urllib.parse.urlparse(url)))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
PER_ROUND = {1: int(os.environ.get("BENCH_SEQUENTIAL", "10")), 4: int(os.environ.get("BENCH_PARALLEL", "20"))}
TICKS = os.sysconf("SC_CLK_TCK")
counter = iter(range(1, 1 << 62))
counter_lock = threading.Lock()


def unique(body):
    """The JPEG with a comment segment after SOI that no other upload has."""
    with counter_lock:
        n = next(counter)
    text = f"walkaround bench {n} {time.time_ns()}".encode()
    return body[:2] + b"\xff\xfe" + (len(text) + 2).to_bytes(2, "big") + text + body[2:]


def request(conn, method, path, body=None, headers=None):
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    data = response.read()
    if response.status >= 300:
        raise RuntimeError(f"{method} {path}: {response.status} {data[:200]!r}")
    return json.loads(data) if data else None


def walkaround_once(url, body, poll):
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    auth = {"Authorization": f"Bearer {key}"}
    inspection = request(conn, "POST", "/v1/inspections", json.dumps({"kind": "checkout", "station": "BENCH-01", "vehicle": {"plate": "B-EN 1"}}),
                         {**auth, "Content-Type": "application/json"})["id"]
    data = unique(body)
    start = time.perf_counter()
    request(conn, "POST", f"/v1/inspections/{inspection}/photos?view=front", data, {**auth, "Content-Type": "image/jpeg"})
    while True:
        found = request(conn, "GET", f"/v1/inspections/{inspection}", headers=auth)["photos"]
        if found and found[0]["status"] in ("processed", "rejected", "failed"):
            elapsed = time.perf_counter() - start
            conn.close()
            return elapsed * 1000, len(found[0].get("detections", [])), found[0]["status"]
        time.sleep(poll)


def peer_once(url, body, poll):
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    data = unique(body)
    start = time.perf_counter()
    answer = request(conn, "POST", "/detect", data, {"Content-Type": "image/jpeg"})
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed * 1000, len(answer["detections"]), "answered"


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def run_case(service, body, concurrency, count):
    name, pid, url = service
    once = walkaround_once if name == "walkaround" else peer_once
    poll = float(os.environ.get("BENCH_POLL_MS", "5" if concurrency == 1 else "25")) / 1000
    idle = rss_mb(pid)
    peak = [idle]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], rss_mb(pid))
            time.sleep(0.005)

    sampler = threading.Thread(target=sample)
    sampler.start()
    results, lock, jobs = [], threading.Lock(), iter(range(count))

    def worker():
        for _ in jobs:
            result = once(url, body, poll)
            with lock:
                results.append(result)

    cpu0, t0 = cpu_seconds(pid), time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed, cpu = time.perf_counter() - t0, cpu_seconds(pid) - cpu0
    stop.set()
    sampler.join()
    return results, elapsed, cpu, max(0.0, peak[0] - idle) / concurrency


report = []
for photo in photos:
    body = open(photo, "rb").read()
    for service in services:  # warm-up: models compiled, caches and pools filled
        once = walkaround_once if service[0] == "walkaround" else peer_once
        for _ in range(3):
            once(service[2], body, 0.005)
    for concurrency in [int(c) for c in os.environ.get("BENCH_CONCURRENCY", "1,4").split(",")]:
        totals = {s[0]: {"latencies": [], "elapsed": 0.0, "cpu": 0.0, "rss": [], "detections": set(), "outcomes": set()} for s in services}
        for _ in range(ROUNDS):
            for service in services:
                results, elapsed, cpu, rss = run_case(service, body, concurrency, PER_ROUND[concurrency])
                total = totals[service[0]]
                total["latencies"] += [r[0] for r in results]
                total["elapsed"] += elapsed
                total["cpu"] += cpu
                total["rss"].append(rss)
                total["detections"] |= {r[1] for r in results}
                total["outcomes"] |= {r[2] for r in results}
        for name, total in totals.items():
            latencies = sorted(total["latencies"])
            report.append({
                "photo": os.path.basename(photo), "photo_bytes": len(body), "service": name, "concurrency": concurrency, "photos": len(latencies),
                "median_ms": round(statistics.median(latencies), 1), "p90_ms": round(latencies[max(0, int(len(latencies) * 0.9) - 1)], 1),
                "photos_per_s": round(len(latencies) / total["elapsed"], 2), "cpu_ms_per_photo": round(total["cpu"] * 1000 / len(latencies), 1),
                "peak_rss_mb_per_photo_in_flight": round(max(total["rss"]), 1), "detections": sorted(total["detections"]),
                "outcomes": sorted(total["outcomes"]),
            })
            row = report[-1]
            print(f"| {row['photo']} | {name} | {concurrency} | {row['median_ms']} | {row['p90_ms']} | {row['photos_per_s']} | "
                  f"{row['cpu_ms_per_photo']} | {row['peak_rss_mb_per_photo_in_flight']} | {row['detections']} |", flush=True)
json.dump(report, open(out, "w"), indent=1)
