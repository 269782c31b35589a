#!/usr/bin/env python3
"""Walkaround end to end: uploads a photo to a running service and waits until its findings are
stored (status processed or rejected, detections written), N times, sequentially or from C
threads. Usage: e2e_client.py BASE_URL KEY PHOTO COUNT CONCURRENCY; prints one JSON line."""
import json
import statistics
import sys
import threading
import time
import urllib.request

base, key, photo, count, concurrency = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
body = open(photo, "rb").read()
headers = {"Authorization": f"Bearer {key}"}


def call(method, path, data=None, content_type=None):
    request = urllib.request.Request(base + path, data=data, method=method, headers=dict(headers))
    if content_type:
        request.add_header("Content-Type", content_type)
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())


def one(index):
    inspection = call("POST", "/v1/inspections", json.dumps({"kind": "checkout", "station": "BENCH-01", "vehicle": {"plate": "B-EN %d" % index}}).encode(), "application/json")["id"]
    start = time.perf_counter()
    call("POST", f"/v1/inspections/{inspection}/photos?view=front", body, "image/jpeg")
    while True:
        photos = call("GET", f"/v1/inspections/{inspection}")["photos"]
        if photos and photos[0]["status"] in ("processed", "rejected", "failed"):
            return (time.perf_counter() - start) * 1000, len(photos[0].get("detections", []))
        time.sleep(0.002)


results, lock = [], threading.Lock()
counter = iter(range(count))


def worker():
    for index in counter:
        latency = one(index)
        with lock:
            results.append(latency)


for _ in range(2):
    one(-1)  # warm-up
start = time.perf_counter()
threads = [threading.Thread(target=worker) for _ in range(concurrency)]
for t in threads:
    t.start()
for t in threads:
    t.join()
elapsed = time.perf_counter() - start
latencies = sorted(r[0] for r in results)
print(json.dumps({
    "what": f"Walkaround service, upload → stored findings, {concurrency} at a time",
    "photos": len(results), "photos_per_s": round(len(results) / elapsed, 2),
    "median_ms": round(statistics.median(latencies), 1), "p90_ms": round(latencies[int(len(latencies) * 0.9) - 1], 1),
    "detections_per_photo": results[0][1],
}))
