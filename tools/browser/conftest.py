"""A real `walkaround serve` and a headless Chromium for the web app's tests (tools/browser/run.sh)."""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import pytest
import requests
from PIL import Image, ImageEnhance
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from processes import wait_until_ready  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURES = os.path.join(ROOT, "Tests", "InferenceTests", "Fixtures")
SHOTS = os.path.join(ROOT, "docs", "ui")
# The eight walk-around views, each from its own rendered car photo (no two near-duplicates).
VIEW_SOURCES = {
    "front": "plates/scenes/000-DE.jpg", "front_left": "plates/scenes/002-SE.jpg", "left": "car/checkout-left.jpg",
    "rear_left": "car/return-rear.jpg", "rear": "plates/scenes/001-ES.jpg", "rear_right": "plates/scenes/003-FR.jpg",
    "right": "car/return-left.jpg", "front_right": "car/checkout-rear.jpg",
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self):
        self.folder = tempfile.mkdtemp(prefix="walkaround-browser-")
        self.binary = os.environ["WALKAROUND_BIN"]
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = dict(os.environ, LOG_LEVEL="warning", WALKAROUND_WORKER_POLL_MS="50",
                        ORT_LIBRARY_PATH=os.path.join(ROOT, ".ort", "lib", "libonnxruntime.so"),
                        WALKAROUND_RATE_LIMIT_KEY_PER_MINUTE="0", WALKAROUND_RATE_LIMIT_STATION_PER_MINUTE="0",
                        WALKAROUND_RATE_LIMIT_SIGN_IN_PER_MINUTE="20")
        for name in ("WALKAROUND_REDIS_URL", "DATABASE_URL", "WALKAROUND_S3_ENDPOINT", "WALKAROUND_LLM_URL"):
            self.env.pop(name, None)
        self.keys = {
            "station": self.key("--role", "station", "--station", "BER-01"),
            "other": self.key("--role", "station", "--station", "HAM-02"),
            "reviewer": self.key("--role", "reviewer"),
        }
        self.log = open(os.path.join(self.folder, "serve.log"), "w")
        self.process = subprocess.Popen(
            [self.binary, "serve", "--host", "127.0.0.1", "--port", str(self.port), "--metrics-port", "0", "--data-dir", self.folder],
            env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        if wait_until_ready(self.url + "/ready", self.process, 120):
            return
        raise RuntimeError("walkaround serve did not become ready: " + open(os.path.join(self.folder, "serve.log")).read()[-3000:])

    def key(self, *arguments):
        return subprocess.run([self.binary, "keys", "create", *arguments, "--data-dir", self.folder], env=self.env,
                              capture_output=True, text=True, check=True).stdout.strip()

    def api(self, method, path, key, **kwargs):
        return requests.request(method, self.url + path, headers={"Authorization": f"Bearer {key}"}, timeout=30, **kwargs)

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="session")
def server():
    running = Server()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def photos(tmp_path_factory):
    """The eight views as 1600×1200 JPEGs, and a too-dark shot of the front."""
    folder = tmp_path_factory.mktemp("photos")
    paths = {}
    for view, source in VIEW_SOURCES.items():
        image = Image.open(os.path.join(FIXTURES, source)).convert("RGB").resize((1600, 1200), Image.LANCZOS)
        paths[view] = str(folder / f"{view}.jpg")
        image.save(paths[view], quality=90)
    dark = ImageEnhance.Brightness(Image.open(paths["front"])).enhance(0.06)
    paths["dark"] = str(folder / "front-dark.jpg")
    dark.save(paths["dark"], quality=90)
    return paths


def make_browser(phone):
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--lang=en-GB"):
        options.add_argument(argument)
    if phone:
        # A 360 px wide phone with touch, as a station employee holds it.
        options.add_experimental_option("mobileEmulation", {
            "deviceMetrics": {"width": 360, "height": 740, "pixelRatio": 3.0, "touch": True},
            "userAgent": "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Mobile Safari/537.36",
        })
    else:
        options.add_argument("--window-size=1280,900")
    browser = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options)
    browser.set_page_load_timeout(60)
    return browser


@pytest.fixture
def phone():
    browser = make_browser(phone=True)
    yield browser
    browser.quit()


@pytest.fixture
def desktop():
    browser = make_browser(phone=False)
    yield browser
    browser.quit()


def screenshot(browser, name):
    """A screenshot for docs/ui.md (committed), unless WALKAROUND_UI_SHOTS=0."""
    if os.environ.get("WALKAROUND_UI_SHOTS", "1") == "0":
        return
    os.makedirs(SHOTS, exist_ok=True)
    browser.save_screenshot(os.path.join(SHOTS, name + ".png"))


CONTRAST = """
const channel = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
const luminance = (c) => 0.2126 * channel(c[0]) + 0.7152 * channel(c[1]) + 0.0722 * channel(c[2]);
const parse = (s) => { const m = s.match(/rgba?\\(([^)]+)\\)/); if (!m) return null; const p = m[1].split(',').map(parseFloat); return { rgb: p.slice(0, 3), a: p.length > 3 ? p[3] : 1 }; };
const background = (el) => { for (; el; el = el.parentElement) { const c = parse(getComputedStyle(el).backgroundColor); if (c && c.a > 0.99) return c.rgb; } return [255, 255, 255]; };
const failures = [];
for (const el of document.querySelectorAll('body *')) {
  if (!Array.from(el.childNodes).some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
  const style = getComputedStyle(el);
  if (style.visibility === 'hidden' || style.display === 'none' || el.closest('[hidden]') || el.disabled) continue;
  const fg = parse(style.color); if (!fg) continue;
  const [a, b] = [luminance(fg.rgb), luminance(background(el))];
  const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  const size = parseFloat(style.fontSize), large = size >= 24 || (parseInt(style.fontWeight) >= 700 && size >= 18.66);
  if (ratio < (large ? 3 : 4.5)) failures.push(el.tagName + '.' + el.className + ' ' + ratio.toFixed(2) + ': ' + el.textContent.trim().slice(0, 40));
}
return failures;
"""


def contrast_failures(browser):
    """Text whose contrast with its background is under WCAG 2.1 AA (4.5:1, 3:1 for large text)."""
    return browser.execute_script(CONTRAST)
