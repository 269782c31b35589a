"""Locust users that behave like rental stations, for tools/load/run.sh.

Each user is one station with its own station key. It inspects one car after another: a check-out,
then the same car's return, and so on. For each car it creates the inspection, opens the
inspection's server-sent events stream, uploads the eight walk-around views about 15 s apart
(with an Idempotency-Key, retried with back-off as the station agent does), waits for each photo's
verdict, completes the inspection and pauses before the next car. Each station starts at a random
point of that cycle, so the photo rate is steady from the first second.

What is measured is written as JSON lines to $WL_LOG: a line when a photo is accepted (so one whose
verdict never comes still counts), then its full line: when its upload began, how long the upload
took with its retries, when its verdict arrived on the event stream (upload → findings, as the
station sees it) and the photo's id, so that run.sh can check every accepted photo in the database;
and a line for every car whose inspection could not be opened.

Environment: WL_HOSTS (API base URLs, comma-separated; each request picks one, as a Service does),
WL_KEYS (a file of "station key" lines), WL_PHOTOS (a folder with one JPEG per view),
WL_LOG, WL_UPLOAD_UNTIL (epoch seconds: no upload starts after it), WL_INTERVAL_S (15),
WL_PAUSE_S (60).
"""
import http.client
import itertools
import json
import os
import random
import time
import urllib.parse
import uuid

import gevent
import requests
from gevent.event import Event
from locust import User, events, task

VIEWS = ["front", "front_left", "left", "rear_left", "rear", "rear_right", "right", "front_right"]
TERMINAL = {"processed", "rejected", "failed"}
HOSTS = [h.rstrip("/") for h in os.environ["WL_HOSTS"].split(",")]
STATIONS = [line.split() for line in open(os.environ["WL_KEYS"]) if line.strip()]
PHOTOS = {view: open(os.path.join(os.environ["WL_PHOTOS"], view + ".jpg"), "rb").read() for view in VIEWS}
UPLOAD_UNTIL = float(os.environ.get("WL_UPLOAD_UNTIL", "inf"))
INTERVAL = float(os.environ.get("WL_INTERVAL_S", "15"))
PAUSE = float(os.environ.get("WL_PAUSE_S", "60"))
CYCLE = INTERVAL * (len(VIEWS) - 1) + PAUSE
LOG = open(os.environ["WL_LOG"], "a", buffering=1)
_numbers = itertools.count()


def unique(photo, tag):
    """The photo with a comment segment after SOI: new bytes (and SHA-256) each upload, same pixels."""
    comment = tag.encode()
    return photo[:2] + b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment + photo[2:]


class Verdicts:
    """Reads one inspection's event stream in a greenlet; records when each photo's verdict arrives."""

    def __init__(self, host, key, inspection):
        self.arrived, self.waiting, self.statuses = {}, {}, {}
        self.reconnects = 0
        self.greenlet = gevent.spawn(self._run, host, key, inspection)

    def _run(self, host, key, inspection):
        parts = urllib.parse.urlsplit(host)
        while True:
            try:
                connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
                connection.request("GET", f"/v1/inspections/{inspection}/events",
                                   headers={"Authorization": f"Bearer {key}", "Accept": "text/event-stream"})
                response = connection.getresponse()
                if response.status != 200:
                    raise IOError(f"events: HTTP {response.status}")
                name = None
                while True:
                    line = response.readline()
                    if not line:
                        raise IOError("events: stream ended")
                    line = line.decode().rstrip("\r\n")
                    if line.startswith("event:"):
                        name = line[6:].strip()
                    elif line.startswith("data:") and name == "photo":
                        photo = json.loads(line[5:])
                        if photo.get("status") in TERMINAL:
                            self._arrive(photo["id"], photo["status"])
                    elif line.startswith("data:") and name == "done":
                        return
            except (OSError, http.client.HTTPException, ValueError):
                self.reconnects += 1
                gevent.sleep(0.5)

    def _arrive(self, photo, status):
        if photo not in self.arrived:
            self.arrived[photo], self.statuses[photo] = time.time(), status
            self.waiting.setdefault(photo, Event()).set()

    def wait(self, photo, timeout):
        self.waiting.setdefault(photo, Event()).wait(timeout)
        return self.arrived.get(photo), self.statuses.get(photo)

    def close(self):
        self.greenlet.kill(block=False)


class Station(User):
    def on_start(self):
        self.number = next(_numbers)
        self.station, self.key = STATIONS[self.number % len(STATIONS)]
        self.session = None
        self.car = 0
        # A random point of the cycle: mid-walk (the next view is the first this car gets) or mid-pause.
        phase = random.uniform(0, CYCLE)
        slot = int(phase // INTERVAL) + 1
        self.first_view = slot if slot < len(VIEWS) else 0
        gevent.sleep(slot * INTERVAL - phase if slot < len(VIEWS) else CYCLE - phase)

    def request(self, method, path, name, **kwargs):
        headers = {"Authorization": f"Bearer {self.key}", **kwargs.pop("headers", {})}
        started = time.time()
        response, error = None, None
        try:
            if self.session is None:
                self.session = requests.Session()
            response = self.session.request(method, random.choice(HOSTS) + path, headers=headers, timeout=60, **kwargs)
            if response.status_code >= 400:
                error = f"HTTP {response.status_code}: {response.text[:200]}"
        except Exception as failure:  # noqa: BLE001 (a connection error is a result here)
            error = repr(failure)
        events.request.fire(request_type=method, name=name, response_time=(time.time() - started) * 1000,
                            response_length=len(response.content) if response is not None else 0,
                            exception=IOError(error) if error else None, context={})
        return response, error

    @task
    def inspect_a_car(self):
        if time.time() >= UPLOAD_UNTIL:
            gevent.sleep(1)
            return
        checkout = self.car % 2 == 0
        plate = f"LD-{self.number}-{self.car // 2}"
        self.car += 1
        response, error = self.request("POST", "/v1/inspections", "create inspection", json={
            "kind": "checkout" if checkout else "return", "station": self.station, "vehicle": {"plate": plate}})
        if error:
            LOG.write(json.dumps({"station": self.station, "started": time.time(), "error": "create inspection: " + error}) + "\n")
            gevent.sleep(5)
            return
        inspection = response.json()["id"]
        verdicts = Verdicts(random.choice(HOSTS), self.key, inspection)
        uploaded = []
        try:
            for index in range(self.first_view, len(VIEWS)):
                if index > self.first_view:
                    gevent.sleep(random.uniform(INTERVAL * 0.7, INTERVAL * 1.3))
                if time.time() >= UPLOAD_UNTIL:
                    break
                record = self.upload(inspection, VIEWS[index])
                if record.get("photo"):
                    uploaded.append(record)
                    gevent.spawn(self.await_verdict, verdicts, record)
                else:
                    LOG.write(json.dumps(record) + "\n")
            self.first_view = 0
            deadline = time.time() + 120
            while any("findings_s" not in r and "verdict" not in r for r in uploaded) and time.time() < deadline:
                gevent.sleep(0.2)
            if uploaded:
                self.request("POST", f"/v1/inspections/{inspection}/complete", "complete inspection")
        finally:
            verdicts.close()
        gevent.sleep(random.uniform(PAUSE * 0.5, PAUSE * 1.5))

    def upload(self, inspection, view):
        key = str(uuid.uuid4())
        body = unique(PHOTOS[view], key)
        record = {"station": self.station, "inspection": inspection, "view": view, "started": time.time(), "bytes": len(body)}
        for attempt in range(1, 7):
            if attempt > 1 and time.time() >= UPLOAD_UNTIL:
                break
            response, error = self.request("POST", f"/v1/inspections/{inspection}/photos?view={view}", "upload photo",
                                           data=body, headers={"Content-Type": "image/jpeg", "Idempotency-Key": key})
            record.update(attempts=attempt, upload_s=time.time() - record["started"])
            if response is not None and 200 <= response.status_code < 300:
                record["photo"] = response.json()["id"]
                # Logged at once, so a photo whose verdict never comes is still counted.
                LOG.write(json.dumps(dict(record, accepted_only=True)) + "\n")
                return record
            record["error"] = error
            if response is not None and response.status_code < 500 and response.status_code != 429:
                return record  # refused for good: not a photo the system accepted
            gevent.sleep(min(2 ** attempt * 0.25, 8) * random.uniform(0.5, 1.5))
        return record

    def await_verdict(self, verdicts, record):
        arrived, status = verdicts.wait(record["photo"], 115)
        if arrived is not None:
            record.update(findings_s=arrived - record["started"], verdict=status)
            events.request.fire(request_type="SSE", name="upload → findings", response_time=record["findings_s"] * 1000,
                                response_length=0, exception=None, context={})
        else:
            record.update(verdict=None)
        record["reconnects"] = verdicts.reconnects
        LOG.write(json.dumps(record) + "\n")
