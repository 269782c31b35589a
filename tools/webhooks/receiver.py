"""A webhook receiver for the tests: verifies every delivery with the Standard Webhooks
reference library (`standardwebhooks` from PyPI, code Walkaround did not write) and answers
as each channel is told to: accept, fail a number of times, hang, or redirect.

  PUT  /control/<channel>  {"secret": "whsec_…", "mode": "ok" | "fail" | "hang" | "redirect", "failures": N}
  POST /hook/<channel>     a delivery: verified, logged, answered by the channel's mode
  GET  /log/<channel>      what it received: [{"id", "timestamp", "verified", "error", "answered", "body"}]
"""
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

channels = {}
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body=b"", headers=None):
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def channel(self, prefix):
        return self.path[len(prefix):].split("?")[0]

    def body(self):
        return self.rfile.read(int(self.headers.get("Content-Length", "0")))

    def do_PUT(self):
        if not self.path.startswith("/control/"):
            return self.answer(404)
        settings = json.loads(self.body())
        with lock:
            channels[self.channel("/control/")] = {"settings": settings, "log": [], "failed": 0}
        self.answer(204)

    def do_GET(self):
        if not self.path.startswith("/log/"):
            return self.answer(404)
        with lock:
            log = list(channels.get(self.channel("/log/"), {"log": []})["log"])
        self.answer(200, json.dumps(log).encode(), {"Content-Type": "application/json"})

    def do_POST(self):
        if not self.path.startswith("/hook/"):
            return self.answer(404)
        name = self.channel("/hook/")
        raw = self.body()
        with lock:
            state = channels.get(name)
        if state is None:
            return self.answer(410)
        settings = state["settings"]
        headers = {key.lower(): value for key, value in self.headers.items()}
        entry = {"id": headers.get("webhook-id"), "timestamp": headers.get("webhook-timestamp"), "body": raw.decode("utf-8", "replace")}
        try:
            Webhook(settings["secret"]).verify(raw, headers)
            entry["verified"] = True
        except WebhookVerificationError as error:
            entry["verified"] = False
            entry["error"] = str(error)
        mode = settings.get("mode", "ok")
        status = 204
        if not entry["verified"]:
            status = 401
        elif mode == "fail":
            with lock:
                if state["failed"] < settings.get("failures", 1):
                    state["failed"] += 1
                    status = 500
        elif mode == "redirect":
            status = 302
        entry["answered"] = status if mode != "hang" else "hang"
        with lock:
            state["log"].append(entry)
        if mode == "hang":
            time.sleep(settings.get("seconds", 30))
        if status == 302:
            return self.answer(302, b"", {"Location": "/hook/" + name + "-moved"})
        self.answer(status)


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
print(server.server_address[1], flush=True)
server.serve_forever()
