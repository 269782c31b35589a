"""Helpers the Python test tools share: waiting for a started server, reading the end of its log."""
import subprocess
import time

import requests


def wait_until_ready(url, process, seconds):
    """True once GET url answers 200 within `seconds`; False when the time runs out or `process` ends first."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return True
        except requests.RequestException:
            pass
        if process.poll() is not None:
            return False
        time.sleep(0.2)
    return False


def log_tail(path, chars):
    """The last `chars` characters of a log file ("" when it cannot be read)."""
    try:
        with open(path, errors="replace") as f:
            return f.read()[-chars:]
    except OSError:
        return ""


def stop_process(process, grace=30):
    """SIGTERM, then SIGKILL after `grace` seconds; nothing for a process that ended or is None."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)
