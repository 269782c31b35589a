"""A small client for the Walkaround API, shared by the benchmark and evaluation scripts (stdlib only)."""
import json
import time
import urllib.error
import urllib.request


class Client:
    def __init__(self, base, key):
        self.base, self.key = base, key

    def call(self, method, path, body=None, content_type="application/json"):
        request = urllib.request.Request(self.base + path, data=body, method=method)
        request.add_header("Authorization", "Bearer " + self.key)
        if body is not None:
            request.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def inspect(self, kind, station, plate, photos):
        """Creates an inspection, uploads `photos` ({view: path}), completes it and waits for its
        report. Returns (milliseconds from complete to the report answering 200, the report body)."""
        status, body = self.call("POST", "/v1/inspections", json.dumps({"kind": kind, "station": station, "vehicle": {"plate": plate}}).encode())
        assert status == 201, (status, body)
        inspection = json.loads(body)["id"]
        for view, path in photos.items():
            with open(path, "rb") as photo:
                status, body = self.call("POST", f"/v1/inspections/{inspection}/photos?view={view}", photo.read(), "image/jpeg")
            assert status == 202, (status, body)
        started = time.monotonic()
        status, body = self.call("POST", f"/v1/inspections/{inspection}/complete")
        assert status == 200, (status, body)
        deadline = started + 120
        while time.monotonic() < deadline:
            status, body = self.call("GET", f"/v1/inspections/{inspection}/report")
            if status == 200:
                return (time.monotonic() - started) * 1000, json.loads(body)
            assert status == 202, (status, body)
            time.sleep(0.01)
        raise SystemExit(f"no report for {plate} ({kind}) within 120 s")
