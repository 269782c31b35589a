"""The web app in headless Chromium against a real server: sign-in and its defences, the station's
capture flow on a phone, photos taken offline. Run by tools/browser/run.sh (in `make test`)."""
import statistics
import time

import requests
from conftest import screenshot
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

VIEWS = ["front", "front_left", "left", "rear_left", "rear", "rear_right", "right", "front_right"]


def sign_in(browser, server, key):
    browser.get(server.url + "/app/signin")
    browser.find_element(By.ID, "key").send_keys(key)
    browser.find_element(By.CSS_SELECTOR, "form[action='/app/signin'] button").click()


def wait(browser, seconds=30):
    return WebDriverWait(browser, seconds, poll_frequency=0.02)


def session_cookie(browser):
    return {c["name"]: c for c in browser.get_cookies()}["walkaround_session"]


# ---- sign-in and its defences ----------------------------------------------------------------

def test_without_a_session_every_page_goes_to_sign_in(server, desktop):
    for path in ("/app", "/desk"):
        desktop.get(server.url + path)
        assert desktop.current_url.endswith("/app/signin"), path
    assert desktop.find_element(By.ID, "key").get_attribute("type") == "password"
    page = requests.get(server.url + "/app/signin", timeout=10)
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy and "unsafe-inline" not in policy
    assert "<script>" not in page.text, "no inline script"
    screenshot(desktop, "sign-in")


def test_a_wrong_key_is_refused_and_the_cookie_is_strict(server, desktop):
    sign_in(desktop, server, "wk_" + "0" * 64)
    assert "not a valid" in desktop.find_element(By.ID, "sign-in-error").text
    assert "walkaround_session" not in {c["name"] for c in desktop.get_cookies()}
    sign_in(desktop, server, server.keys["station"])
    wait(desktop).until(EC.url_to_be(server.url + "/app"))
    cookie = session_cookie(desktop)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert desktop.execute_script("return document.cookie").find("walkaround_session") == -1, "scripts cannot read it"


def test_sign_in_without_the_forms_token_is_refused(server):
    answer = requests.post(server.url + "/app/signin", data={"key": server.keys["station"], "csrf": "forged"},
                           allow_redirects=False, timeout=10)
    assert answer.status_code == 403 and "walkaround_session" not in answer.cookies


def test_a_station_session_stays_in_its_station_and_needs_its_csrf_token(server, desktop):
    other = server.api("POST", "/v1/inspections", server.keys["other"],
                       json={"kind": "checkout", "station": "HAM-02", "vehicle": {"plate": "HH-AB 1"}}).json()["id"]
    sign_in(desktop, server, server.keys["station"])
    wait(desktop).until(EC.url_to_be(server.url + "/app"))
    client = requests.Session()
    client.cookies.set("walkaround_session", session_cookie(desktop)["value"])
    csrf = desktop.find_element(By.CSS_SELECTOR, "meta[name=csrf-token]").get_attribute("content")
    assert client.get(server.url + f"/v1/inspections/{other}", timeout=10).status_code == 403, "another station's inspection"
    body = {"kind": "checkout", "station": "BER-01", "vehicle": {"plate": "B-CS 1"}}
    forged = client.post(server.url + "/v1/inspections", json=body, headers={"X-CSRF-Token": "0" * 64}, timeout=10)
    assert forged.status_code == 403 and forged.json()["error"]["code"] == "csrf_failed"
    assert client.post(server.url + "/v1/inspections", json=body, timeout=10).status_code == 403, "no token at all"
    assert client.post(server.url + "/v1/inspections", json=body, headers={"X-CSRF-Token": csrf}, timeout=10).status_code == 201
    desktop.get(server.url + "/desk")
    assert desktop.find_element(By.TAG_NAME, "h1").text == "Not for this key"
    # Sign-out ends the session on the server, not only in this browser.
    desktop.get(server.url + "/app")
    desktop.find_element(By.CSS_SELECTOR, "form.sign-out button").click()
    wait(desktop).until(EC.url_to_be(server.url + "/app/signin"))
    assert client.get(server.url + "/v1/inspections", timeout=10).status_code == 401


# ---- the station's capture flow on a phone ---------------------------------------------------

def start(browser, server, kind, plate):
    sign_in(browser, server, server.keys["station"])
    wait(browser).until(EC.url_to_be(server.url + "/app"))
    wait(browser).until(EC.presence_of_element_located((By.ID, "start")))
    if kind == "return":
        browser.find_element(By.CSS_SELECTOR, "input[name=kind][value=return]").click()
    browser.find_element(By.ID, "plate").send_keys(plate)
    browser.find_element(By.ID, "start-button").click()
    wait(browser).until(EC.presence_of_element_located((By.ID, "steps")))


def shoot(browser, view, path):
    """Picks the file in the view's camera input, as the phone's camera would hand it over (the
    page redraws as verdicts arrive: an input replaced meanwhile is looked up again)."""
    for _ in range(20):
        try:
            browser.find_element(By.CSS_SELECTOR, f"input[type=file][data-view={view}]").send_keys(path)
            return
        except StaleElementReferenceException:
            time.sleep(0.05)
    raise AssertionError(f"no camera input for {view}")


def state_of(browser, view):
    return browser.execute_script("const s = document.querySelector(arguments[0]); return s ? s.className : ''", f".step[data-view={view}]")


def test_a_return_walk_with_a_retake_ends_with_the_report(server, phone, photos):
    start(phone, server, "return", "B-WA 2026")
    screenshot(phone, "capture-walk")
    assert phone.execute_script("return document.documentElement.scrollWidth") <= 360, "no sideways scrolling at 360 px"
    latencies = []
    for view in VIEWS:
        began = time.monotonic()
        shoot(phone, view, photos["dark"] if view == "front" else photos[view])
        expected = "rejected" if view == "front" else "processed"
        wait(phone, 60).until(lambda b: expected in state_of(b, view).split())
        latencies.append(time.monotonic() - began)
        if view == "front":
            advice = phone.execute_script("return document.querySelector('.step[data-view=front] .advice').textContent")
            assert advice and "dark" in advice.lower(), advice
            screenshot(phone, "capture-rejected")
            began = time.monotonic()
            shoot(phone, "front", photos["front"])
            wait(phone, 60).until(lambda b: "processed" in state_of(b, "front").split())
            latencies.append(time.monotonic() - began)
    finish = phone.find_element(By.ID, "finish")
    assert finish.is_enabled()
    finish.click()
    wait(phone, 120).until(EC.presence_of_element_located((By.ID, "report-title")))
    screenshot(phone, "capture-report")
    print(f"\nupload → verdict on screen: median {statistics.median(latencies) * 1000:.0f} ms, "
          f"p90 {sorted(latencies)[int(0.9 * len(latencies)) - 1] * 1000:.0f} ms over {len(latencies)} photos")
    # The server has each view once, and the front twice (the dark one and its retake).
    inspections = server.api("GET", "/v1/inspections?plate=B-WA%202026", server.keys["station"]).json()["items"]
    detail = server.api("GET", f"/v1/inspections/{inspections[0]['id']}", server.keys["station"]).json()
    views = sorted(p["view"] for p in detail["photos"])
    assert views == sorted(VIEWS + ["front"]), views
    assert detail["status"] == "completed"


def test_shots_taken_offline_upload_once_when_the_network_is_back(server, phone, photos):
    start(phone, server, "checkout", "B-OF 404")
    for view in VIEWS[:3]:
        shoot(phone, view, photos[view])
        wait(phone, 60).until(lambda b: "processed" in state_of(b, view).split())
    phone.set_network_conditions(offline=True, latency=0, download_throughput=0, upload_throughput=0)
    wait(phone).until(lambda b: b.execute_script("return navigator.onLine") is False)
    for view in VIEWS[3:5]:
        shoot(phone, view, photos[view])
        wait(phone).until(lambda b: "queued" in state_of(b, view).split())
    assert phone.find_element(By.CSS_SELECTOR, ".offline").is_displayed()
    screenshot(phone, "capture-offline")
    time.sleep(2)
    phone.set_network_conditions(offline=False, latency=5, download_throughput=10_000_000, upload_throughput=10_000_000)
    for view in VIEWS[3:5]:
        wait(phone, 60).until(lambda b: "processed" in state_of(b, view).split())
    inspections = server.api("GET", "/v1/inspections?plate=B-OF%20404", server.keys["station"]).json()["items"]
    detail = server.api("GET", f"/v1/inspections/{inspections[0]['id']}", server.keys["station"]).json()
    assert sorted(p["view"] for p in detail["photos"]) == sorted(VIEWS[:5]), "each shot exactly once"


# Last: it uses up this address's sign-ins for the minute.
def test_sign_in_attempts_are_limited(server):
    client = requests.Session()
    statuses = []
    for _ in range(24):
        form = client.get(server.url + "/app/signin", timeout=10)
        token = form.text.split('name="csrf" value="')[1].split('"')[0]
        statuses.append(client.post(server.url + "/app/signin", data={"key": "wk_wrong", "csrf": token},
                                    allow_redirects=False, timeout=10).status_code)
    assert 429 in statuses, statuses
