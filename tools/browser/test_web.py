"""The web app in headless Chromium against a real server: sign-in and its defences, the station's
capture flow on a phone, photos taken offline. Run by tools/browser/run.sh (in `make test`)."""
import os
import statistics
import time

import requests
from conftest import FIXTURES, contrast_failures, screenshot
from selenium.webdriver.common.action_chains import ActionChains
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

VIEWS = ["front", "front_left", "left", "rear_left", "rear", "rear_right", "right", "front_right"]


def sign_in(browser, server, key):
    browser.get(server.url + "/app/signin")
    wait(browser).until(EC.presence_of_element_located((By.ID, "key"))).send_keys(key)
    browser.find_element(By.CSS_SELECTOR, "form[action='/app/signin'] button").click()
    # The answer: another page, or the form again with its message.
    wait(browser).until(lambda b: not b.current_url.endswith("/app/signin") or b.find_elements(By.ID, "sign-in-error"))


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
    assert contrast_failures(desktop) == []
    screenshot(desktop, "sign-in")
    # Another language, chosen in the header (kept in a cookie), and the browser's own otherwise.
    desktop.get(server.url + "/app/signin?lang=de")
    assert desktop.find_element(By.TAG_NAME, "h1").text == "Anmelden"
    desktop.get(server.url + "/app/signin")
    assert desktop.find_element(By.TAG_NAME, "h1").text == "Anmelden", "the choice is kept"


def test_a_wrong_key_is_refused_and_the_cookie_is_strict(server, desktop):
    sign_in(desktop, server, "wk_" + "0" * 64)
    assert "not a valid" in wait(desktop).until(EC.presence_of_element_located((By.ID, "sign-in-error"))).text
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
    # With the form's cookie but another token in the field (a third-party page posting the form).
    client = requests.Session()
    client.get(server.url + "/app/signin", timeout=10)
    answer = client.post(server.url + "/app/signin", data={"key": server.keys["station"], "csrf": "0" * 64}, allow_redirects=False, timeout=10)
    assert answer.status_code == 403 and "walkaround_session" not in client.cookies


def test_revoking_the_key_ends_its_sessions_and_sign_out_needs_the_token(server, desktop):
    key = server.key("--role", "station", "--station", "BER-01", "--name", "to-revoke")
    sign_in(desktop, server, key)
    wait(desktop).until(EC.url_to_be(server.url + "/app"))
    client = requests.Session()
    client.cookies.set("walkaround_session", session_cookie(desktop)["value"])
    assert client.get(server.url + "/v1/inspections", timeout=10).status_code == 200
    forged = client.post(server.url + "/app/signout", data={"csrf": "0" * 64}, allow_redirects=False, timeout=10)
    assert forged.status_code == 403, "a forged sign-out is refused"
    assert client.get(server.url + "/v1/inspections", timeout=10).status_code == 200, "and the session lives on"
    admin = server.key("--role", "admin", "--name", "ops")
    listed = server.api("GET", "/v1/keys", admin).json()["items"]
    target = next(k for k in listed if k.get("name") == "to-revoke")
    assert server.api("POST", f"/v1/keys/{target['id']}/revoke", admin).status_code == 200
    assert client.get(server.url + "/v1/inspections", timeout=10).status_code == 401, "revoked at once"
    desktop.get(server.url + "/app")
    assert desktop.current_url.endswith("/app/signin")


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
    created = client.post(server.url + "/v1/inspections", json=body, headers={"X-CSRF-Token": csrf}, timeout=10)
    assert created.status_code == 201
    # The desk's review actions are not a station's, even on its own inspection.
    own = created.json()["id"]
    review = client.patch(server.url + f"/v1/inspections/{own}/report/damages/D1", json={"decision": "confirmed"},
                          headers={"X-CSRF-Token": csrf, "If-Match": '"1"'}, timeout=10)
    assert review.status_code == 403, review.text
    assert client.post(server.url + f"/v1/inspections/{own}/renter-links", json={}, headers={"X-CSRF-Token": csrf}, timeout=10).status_code == 403
    desktop.get(server.url + "/desk")
    assert wait(desktop).until(EC.presence_of_element_located((By.TAG_NAME, "h1"))).text == "Not for this key"
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
    # The capture screen's weight without photos: the page and every file it loaded (uncompressed bodies).
    weight = phone.execute_script("""
        const entries = performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))
          .filter(e => !['xmlhttprequest', 'fetch', 'eventsource', 'other'].includes(e.initiatorType) || e.entryType === 'navigation');
        return entries.reduce((sum, e) => sum + (e.decodedBodySize || 0), 0);""")
    print(f"\ncapture screen: {weight / 1024:.1f} KB without photos")
    assert weight < 200 * 1024, weight
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
            # From the page's own strings (the API's English advice starts in lower case).
            assert "Too dark" in advice
            assert contrast_failures(phone) == []
            screenshot(phone, "capture-rejected")
            began = time.monotonic()
            shoot(phone, "front", photos["front"])
            wait(phone, 60).until(lambda b: "processed" in state_of(b, "front").split())
            latencies.append(time.monotonic() - began)
    # The photos (rendered cars with their own plates) show another plate than the one typed: the app says so.
    note = wait(phone).until(EC.presence_of_element_located((By.ID, "plate-note"))).text
    assert note.startswith("The photos show plate ") and "B-WA 2026" not in note, note
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


# ---- the review desk -------------------------------------------------------------------------

def fixture_bytes(name):
    with open(os.path.join(FIXTURES, name), "rb") as file:
        return file.read()


def completed(server, kind, plate, photos):
    """An inspection made through the API (the station's key), completed, its report written."""
    key = server.keys["station"]
    inspection = server.api("POST", "/v1/inspections", key, json={"kind": kind, "station": "BER-01", "vehicle": {"plate": plate}}).json()["id"]
    for view, name in photos.items():
        answer = requests.post(server.url + f"/v1/inspections/{inspection}/photos?view={view}", data=fixture_bytes(name), timeout=30,
                               headers={"Authorization": f"Bearer {key}", "Content-Type": "image/jpeg"})
        assert answer.status_code == 202, answer.text
    deadline = time.time() + 120
    while time.time() < deadline:
        states = [p["status"] for p in server.api("GET", f"/v1/inspections/{inspection}", key).json()["photos"]]
        if all(s in ("processed", "rejected", "failed") for s in states):
            break
        time.sleep(0.2)
    assert server.api("POST", f"/v1/inspections/{inspection}/complete", key).status_code == 200
    while time.time() < deadline:
        if server.api("GET", f"/v1/inspections/{inspection}/report", key).status_code == 200:
            return inspection
        time.sleep(0.3)
    raise AssertionError("the report was not written")


def damages_of(browser):
    return browser.execute_script("""
        return Array.from(document.querySelectorAll('li.damage')).map(li => ({
          id: li.dataset.damage, text: li.textContent, status: (li.querySelector('[class^=status-]') || {}).className || '' }))""")


def test_a_reviewer_confirms_rejects_adds_and_finalises(server, desktop):
    completed(server, "checkout", "B-RV 77", {"rear": "car/checkout-rear.jpg", "left": "car/checkout-left.jpg"})
    inspection = completed(server, "return", "B-RV 77", {
        "rear": "car/return-rear.jpg", "left": "car/return-left.jpg", "front": "plates/scenes/000-DE.jpg"})
    sign_in(desktop, server, server.keys["reviewer"])
    wait(desktop).until(EC.url_to_be(server.url + "/desk"))
    wait(desktop).until(EC.presence_of_element_located((By.CSS_SELECTOR, f"a[href='#/i/{inspection}']"))).click()
    wait(desktop).until(EC.presence_of_element_located((By.ID, "review")))
    damages = damages_of(desktop)
    new = [d for d in damages if d["status"] == "status-new"]
    doubtful = [d for d in damages if d["status"] == "status-needs_review"]
    assert new and doubtful, damages
    # Confirm the new damage from the keyboard: j moves to it, c confirms.
    index = [d["id"] for d in damages].index(new[0]["id"])
    body = desktop.find_element(By.TAG_NAME, "body")
    for _ in range(index):
        body.send_keys("j")
    body.send_keys("c")
    wait(desktop).until(lambda b: "confirmed" in next(d for d in damages_of(b) if d["id"] == new[0]["id"])["text"].lower())
    assert contrast_failures(desktop) == []
    screenshot(desktop, "desk-review")
    # Reject the doubtful one with a reason.
    desktop.find_element(By.CSS_SELECTOR, f"li[data-damage='{doubtful[0]['id']}'] [data-action=reject]").click()
    Select(desktop.find_element(By.ID, f"reason-{doubtful[0]['id']}")).select_by_value("insufficient_evidence")
    desktop.find_element(By.CSS_SELECTOR, f"li[data-damage='{doubtful[0]['id']}'] form button").click()
    wait(desktop).until(lambda b: "rejected" in next(d for d in damages_of(b) if d["id"] == doubtful[0]["id"])["text"].lower())
    # Add a damage the model missed: a box drawn on the left photo.
    Select(wait(desktop).until(EC.presence_of_element_located((By.ID, "add-photo")))).select_by_visible_text("Left side")
    image = wait(desktop).until(EC.visibility_of_element_located((By.CSS_SELECTOR, "#add .surface img")))
    wait(desktop).until(lambda b: b.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", image))
    ActionChains(desktop).move_to_element_with_offset(image, -40, -30).click_and_hold().move_by_offset(60, 40).release().perform()
    desktop.find_element(By.ID, "add-button").click()
    wait(desktop).until(lambda b: any(d["id"].startswith("R") for d in damages_of(b)))
    # Every charge candidate decided: reviewed, then final.
    wait(desktop).until(EC.element_to_be_clickable((By.ID, "mark-reviewed"))).click()
    wait(desktop).until(EC.element_to_be_clickable((By.ID, "finalise"))).click()
    wait(desktop).until(EC.presence_of_element_located((By.ID, "final-note")))
    wait(desktop).until(lambda b: len(b.find_elements(By.CSS_SELECTOR, "#audit li")) >= 5)
    screenshot(desktop, "desk-final")
    report = server.api("GET", f"/v1/inspections/{inspection}/report", server.keys["reviewer"]).json()["review"]
    assert report["state"] == "final"
    assert set(report["chargeable"]) == {new[0]["id"]} | {d["id"] for d in report["damages"] if d["id"].startswith("R")}, report


def finalise_by_api(server, inspection):
    """Confirms the new damages, rejects the rest of the charge candidates, and makes the report final."""
    key = server.keys["reviewer"]
    path = f"/v1/inspections/{inspection}/report"
    answer = server.api("GET", path, key)
    etag, review = answer.headers["ETag"], answer.json()["review"]
    for damage in review["damages"]:
        if not damage.get("charge_candidate"):
            continue
        body = {"decision": "confirmed"} if damage["status"] == "new" else {"decision": "rejected", "rejection_reason": "insufficient_evidence"}
        answer = requests.patch(server.url + f"{path}/damages/{damage['id']}", json=body, timeout=30,
                                headers={"Authorization": f"Bearer {key}", "If-Match": etag})
        assert answer.status_code == 200, answer.text
        etag = answer.headers["ETag"]
    for state in ("reviewed", "final"):
        answer = requests.post(server.url + f"{path}/state", json={"state": state}, timeout=30,
                               headers={"Authorization": f"Bearer {key}", "If-Match": etag})
        assert answer.status_code == 200, answer.text
        etag = answer.headers["ETag"]


def test_the_renter_sees_the_final_report_and_contests_a_damage(server, desktop):
    completed(server, "checkout", "B-RN 12", {"rear": "car/checkout-rear.jpg", "left": "car/checkout-left.jpg"})
    inspection = completed(server, "return", "B-RN 12", {"rear": "car/return-rear.jpg", "left": "car/return-left.jpg"})
    finalise_by_api(server, inspection)
    sign_in(desktop, server, server.keys["reviewer"])
    assert desktop.current_url == server.url + "/desk", desktop.find_element(By.TAG_NAME, "main").text
    desktop.get(server.url + f"/desk#/i/{inspection}")
    wait(desktop).until(EC.element_to_be_clickable((By.ID, "make-link"))).click()
    link = wait(desktop).until(EC.presence_of_element_located((By.CSS_SELECTOR, "#renter-link input"))).get_attribute("value")
    assert "/r/" in link
    # The renter: no session, no key.
    desktop.delete_all_cookies()
    desktop.get(link)
    charged = desktop.find_elements(By.CSS_SELECTOR, "#renter li.damage")
    assert charged, desktop.page_source[:2000]
    assert "SHA-256" in desktop.find_element(By.ID, "fingerprint").text
    for image in desktop.find_elements(By.CSS_SELECTOR, "#renter img"):
        wait(desktop).until(lambda b: b.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", image))
    assert contrast_failures(desktop) == []
    screenshot(desktop, "renter")
    damage = charged[0].get_attribute("data-damage")
    charged[0].find_element(By.TAG_NAME, "textarea").send_keys("The scratch was there when I picked the car up.")
    charged[0].find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(desktop).until(EC.presence_of_element_located((By.ID, "received")))
    # The link reaches nothing else, and one changed character makes it worthless.
    assert requests.get(server.url + f"/v1/inspections/{inspection}", timeout=10).status_code == 401
    altered = link[:-1] + ("A" if link[-1] != "A" else "B")
    answer = requests.get(altered, timeout=10)
    assert answer.status_code == 404 and "not valid" in answer.text
    # The desk shows the dispute; the report is back in review, the damage undecided.
    report = server.api("GET", f"/v1/inspections/{inspection}/report", server.keys["reviewer"]).json()["review"]
    assert report["state"] == "draft"
    assert next(d for d in report["damages"] if d["id"] == damage).get("decision") is None
    sign_in(desktop, server, server.keys["reviewer"])
    desktop.get(server.url + f"/desk#/i/{inspection}")
    disputes = wait(desktop).until(EC.presence_of_element_located((By.ID, "disputes")))
    assert "there when I picked" in disputes.text
    # Revoked, the link opens nothing.
    links = server.api("GET", f"/v1/inspections/{inspection}/renter-links", server.keys["reviewer"]).json()["items"]
    assert server.api("POST", f"/v1/inspections/{inspection}/renter-links/{links[0]['id']}/revoke", server.keys["reviewer"]).status_code == 200
    assert requests.get(link, timeout=10).status_code == 404


# Last: it uses up this address's sign-ins for the minute.
def test_sign_in_attempts_are_limited(server):
    client = requests.Session()
    statuses = []
    # Only failures count: 20 a minute. 41 attempts reach 429 even if a minute ends midway.
    for _ in range(41):
        form = client.get(server.url + "/app/signin", timeout=10)
        token = form.text.split('name="csrf" value="')[1].split('"')[0]
        statuses.append(client.post(server.url + "/app/signin", data={"key": "wk_wrong", "csrf": token},
                                    allow_redirects=False, timeout=10).status_code)
    assert 429 in statuses, statuses
