// Walkaround capture: a station employee walks around the car with a phone.
// Start a check-out or return, take one photo per view, each uploads at once (Idempotency-Key,
// progress) and waits in IndexedDB while the network is away; verdicts arrive on the
// inspection's event stream; finish, and the report is shown as it is written.
// Everything goes through the JSON API with the session's cookie and CSRF token.
"use strict";
(() => {
  const root = document.getElementById("capture");
  if (!root) return;
  const { csrf, T, t, el } = window.Walkaround;
  const station = root.dataset.station;
  const VIEWS = ["front", "front_left", "left", "rear_left", "rear", "rear_right", "right", "front_right"];
  const OPTIONAL = ["interior", "odometer"];
  const state = { inspection: null, kind: null, plate: "", shots: {}, photos: {}, events: null, finished: false };

  // ---- helpers ---------------------------------------------------------------------------
  const api = async (method, path, body) => (await window.Walkaround.api(method, path, body)).json;
  const uuid = () => (crypto.randomUUID ? crypto.randomUUID() : ([1e7] + -1e3 + -4e3 + -8e3 + -1e11).replace(/[018]/g, (c) =>
    (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16)));

  // ---- the durable outbox: shots wait in IndexedDB until the server has them --------------
  const db = new Promise((resolve, reject) => {
    const open = indexedDB.open("walkaround-capture", 1);
    open.onupgradeneeded = () => open.result.createObjectStore("shots", { keyPath: "key" });
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
  const store = async (mode, work) => {
    const database = await db;
    return new Promise((resolve, reject) => {
      const transaction = database.transaction("shots", mode);
      const result = work(transaction.objectStore("shots"));
      transaction.oncomplete = () => resolve(result && "result" in result ? result.result : undefined);
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error || new Error("storage aborted"));   // e.g. the phone is full
    });
  };
  // Queued shots must survive the browser's clean-ups when the phone runs short of space.
  if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(() => {});
  const putShot = (shot) => store("readwrite", (s) => s.put(shot));
  const deleteShot = (key) => store("readwrite", (s) => s.delete(key));
  const allShots = () => store("readonly", (s) => s.getAll());

  // ---- screens ---------------------------------------------------------------------------
  const offlineBanner = el("p", { class: "offline", role: "status", hidden: navigator.onLine, text: t("offline") });
  window.addEventListener("online", () => { offlineBanner.hidden = true; pump(); });
  window.addEventListener("offline", () => { offlineBanner.hidden = false; });

  function startScreen() {
    state.inspection = null;
    if (state.events) { state.events.close(); state.events = null; }
    const error = el("p", { class: "error", role: "alert", hidden: true });
    const form = el("form", { id: "start", novalidate: true },
      el("h1", { text: t("startTitle") }),
      el("fieldset", { class: "choices" }, el("legend", { text: t("kindLabel") }),
        el("label", {}, el("input", { type: "radio", name: "kind", value: "checkout", checked: true }), t("checkout")),
        el("label", {}, el("input", { type: "radio", name: "kind", value: "return" }), t("return"))),
      el("label", { for: "plate", text: t("plateLabel") }),
      el("input", { id: "plate", name: "plate", type: "text", required: true, maxlength: 20, autocomplete: "off", autocapitalize: "characters" }),
      el("label", { for: "vin", text: t("vinLabel") }),
      el("input", { id: "vin", name: "vin", type: "text", maxlength: 17, autocomplete: "off", autocapitalize: "characters" }),
      error,
      el("button", { type: "submit", id: "start-button", text: t("start") }));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const plate = form.plate.value.trim(), vin = form.vin.value.trim();
      if (!plate) { error.textContent = t("plateMissing"); error.hidden = false; form.plate.focus(); return; }
      const vehicle = vin ? { plate, vin } : { plate };
      const button = form.querySelector("#start-button");
      if (button.disabled) return;
      button.disabled = true;
      try {
        const inspection = await api("POST", "/v1/inspections", { kind: form.kind.value, station, vehicle });
        localStorage.setItem("walkaround.inspection", JSON.stringify({ id: inspection.id, kind: inspection.kind, plate }));
        walk(inspection.id, inspection.kind, plate);
      } catch (failure) {
        error.textContent = failure.message; error.hidden = false;
        button.disabled = false;
      }
    });
    root.replaceChildren(offlineBanner, form);
    form.plate.focus();
  }

  function walk(id, kind, plate) {
    state.inspection = id; state.kind = kind; state.plate = plate; state.photos = {}; state.shots = {}; state.finished = false;
    state.reportBox = null; state.plateNote = null;
    render();
    follow(id);
    pump();
  }

  // One entry per view: the latest shot's local state and the server's verdict.
  function viewState(view) {
    const photo = state.photos[view];
    const shot = state.shots[view];
    if (shot && shot.state !== "sent") return shot.state;           // queued | uploading | failed
    if (!photo) return "todo";
    if (photo.status === "processed") return "processed";
    if (photo.status === "rejected") return "rejected";
    if (photo.status === "failed") return "failed";
    return "checking";
  }

  // The next view to shoot: the first not taken yet, rejected or refused.
  function current() {
    return VIEWS.find((v) => ["todo", "rejected", "failed"].includes(viewState(v))) || null;
  }

  function render() {
    const focused = document.activeElement && document.activeElement.id;
    const view = current();
    const waiting = Object.values(state.shots).some((shot) => shot.state !== "sent");
    const done = VIEWS.every((v) => viewState(v) === "processed") && !waiting;
    const steps = el("ol", { class: "steps", id: "steps" }, ...VIEWS.concat(OPTIONAL).map((v) => {
      const status = viewState(v);
      return el("li", { class: "step " + status, "data-view": v, "aria-current": v === view ? "step" : false },
        el("span", { class: "name", text: t("view_" + v) + (OPTIONAL.includes(v) ? " (" + t("optional") + ")" : "") }),
        el("span", { class: "state", text: status === "todo" ? "" : t("state_" + status) }),
        status === "uploading" ? el("progress", { max: 100, value: (state.shots[v] && state.shots[v].progress) || 0, "aria-label": t("state_uploading") }) : null,
        status === "rejected" ? el("p", { class: "advice", text: adviceOf(state.photos[v]) }) : null,
        ["todo", "rejected", "processed", "failed"].includes(status) ? takeButton(v, status === "todo" ? t("take") : t("retake")) : null);
    }));
    const heading = el("h1", { text: t(state.kind === "return" ? "returnTitle" : "checkoutTitle", { plate: state.plate }) });
    const plateNote = state.plateNote ? el("p", { class: "warn", id: "plate-note", role: "status", text: state.plateNote }) : null;
    const next = view ? el("section", { class: "shot", "aria-labelledby": "next-title" },
      el("div", { class: "frame" }, el("img", { class: "outline", src: "/assets/outline-" + outlineOf(view) + ".svg", alt: "" })),
      el("div", {},
        el("h2", { id: "next-title", text: t("stepOf", { n: VIEWS.indexOf(view) + 1, total: VIEWS.length }) + ": " + t("view_" + view) }),
        el("p", { class: "muted", text: t("hint_" + outlineOf(view)) }),
        takeButton(view, viewState(view) === "todo" ? t("take") : t("retake"), "take-next"))) : null;
    const finish = el("button", { id: "finish", type: "button", disabled: !done || state.finished, text: t("finish"), onclick: finishInspection });
    // The report's box outlives re-renders (a late photo event must not wipe the report).
    state.reportBox = state.reportBox || el("div", { id: "report", "aria-live": "polite" });
    root.replaceChildren(offlineBanner, heading, plateNote, next, steps, finish, state.reportBox);
    if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
  }

  function outlineOf(view) {
    if (view.startsWith("front")) return "front";
    if (view.startsWith("rear")) return "rear";
    return "side";
  }

  function adviceOf(photo) {
    return window.Walkaround.advice(photo) || t("rejectedNoAdvice");
  }

  function takeButton(view, label, id) {
    const inputId = (id || "take-" + view) + "-input";
    const input = el("input", { type: "file", id: inputId, accept: "image/jpeg,image/png", capture: "environment", "data-view": view });
    input.addEventListener("change", () => { if (input.files && input.files[0]) shoot(view, input.files[0]); input.value = ""; });
    return el("span", { class: "take" }, input, el("label", { for: inputId, id: id || null, tabindex: 0, role: "button", text: label,
      onkeydown: (event) => { if (event.key === "Enter" || event.key === " ") { event.preventDefault(); input.click(); } } }));
  }

  // ---- shots: stored first, then uploaded (exactly once: the key travels with the shot) -----
  async function shoot(view, file) {
    const shot = { key: uuid(), inspection: state.inspection, view, blob: file, type: file.type || "image/jpeg", takenAt: Date.now(), state: "queued" };
    try {
      await putShot(shot);
    } catch (failure) {
      alertBox(t("storeFailed") + " " + (failure && failure.message ? failure.message : ""));
      return;
    }
    state.shots[view] = { key: shot.key, state: "queued", progress: 0 };
    delete state.photos[view];
    render();
    pump();
  }

  let pumping = false, retryDelay = 2000, retryTimer = null;
  async function pump() {
    if (pumping) return;
    pumping = true;
    let stalled = false;
    try {
      for (const shot of (await allShots()).sort((a, b) => a.takenAt - b.takenAt)) {
        if (!navigator.onLine) { stalled = true; break; }
        if (shot.blocked) continue;                             // waits for a person (another key signed in)
        const outcome = await upload(shot);
        if (outcome === "later") { stalled = true; break; }    // the server or network is away: all wait
      }
    } finally {
      pumping = false;
    }
    clearTimeout(retryTimer);
    if (stalled && navigator.onLine) {
      // Back off (with jitter) while the server does not take shots; at once again after a success.
      retryTimer = setTimeout(pump, retryDelay * (0.5 + Math.random() / 2));
      retryDelay = Math.min(retryDelay * 2, 60000);
    } else {
      retryDelay = 2000;
    }
  }

  // "sent", "later" (network or server away: the shot stays queued) or "refused" (for good: said on screen).
  function upload(shot) {
    const current = () => shot.inspection === state.inspection;   // the walk on screen may change meanwhile
    const mark = (entry) => { if (current()) { state.shots[shot.view] = entry; render(); } };
    mark({ key: shot.key, state: "uploading", progress: 0 });
    return new Promise((resolve) => {
      const request = new XMLHttpRequest();
      const done = async (outcome, work) => {
        try { if (work) await work(); } catch (_) { outcome = "later"; }
        resolve(outcome);
      };
      request.open("POST", "/v1/inspections/" + shot.inspection + "/photos?view=" + encodeURIComponent(shot.view));
      request.timeout = 120000;
      request.setRequestHeader("Content-Type", shot.type);
      request.setRequestHeader("Idempotency-Key", shot.key);
      request.setRequestHeader("X-CSRF-Token", csrf);
      request.upload.onprogress = (event) => {
        if (!current() || !event.lengthComputable || !state.shots[shot.view]) return;
        state.shots[shot.view].progress = Math.round((100 * event.loaded) / event.total);
        const bar = document.querySelector('.step[data-view="' + shot.view + '"] progress');
        if (bar) bar.value = state.shots[shot.view].progress;
      };
      request.onload = () => {
        const status = request.status;
        let answer = null;
        try { answer = JSON.parse(request.responseText); } catch (_) { answer = null; }
        const code = answer && answer.error && answer.error.code;
        if (status >= 200 && status < 300 && answer && answer.id) {
          done("sent", async () => {
            await deleteShot(shot.key);
            if (current()) {
              state.shots[shot.view] = { key: shot.key, state: "sent" };
              if (!state.photos[shot.view] || state.photos[shot.view].id !== answer.id) state.photos[shot.view] = answer;
              render();
            }
          });
        } else if (status === 401) {
          location.href = "/app/signin";                        // the shot stays queued for after sign-in
          done("later");
        } else if (status === 403 && code === "csrf_failed") {
          location.reload();                                    // a newer sign-in: fresh token, the shot stays queued
          done("later");
        } else if (status === 403 || status === 404) {
          // Not this key's inspection (another key signed in on this phone): kept, set aside, said.
          done("refused", async () => {
            await putShot(Object.assign({}, shot, { blocked: true }));
            alertBox(t("shotSetAside"));
          });
        } else if ([400, 409, 413, 415, 422].includes(status)) {
          // Refused for good (the inspection was completed, the file is no photo, too large…): said, retake.
          done("refused", async () => {
            await deleteShot(shot.key);
            mark({ key: shot.key, state: "failed" });
            alertBox(t("shotRefused", { view: t("view_" + shot.view) }) + " " + ((answer && answer.error && answer.error.message) || ""));
          });
        } else {
          mark({ key: shot.key, state: "queued", progress: 0 });
          done("later");                                        // 5xx, 429: the server takes it later
        }
      };
      const away = () => { mark({ key: shot.key, state: "queued", progress: 0 }); done("later"); };
      request.onerror = away;
      request.ontimeout = away;
      request.onabort = away;
      request.send(shot.blob);
    });
  }

  function alertBox(text) {
    const box = document.getElementById("capture-alert") || el("p", { id: "capture-alert", class: "error", role: "alert" });
    box.textContent = text;
    if (!box.isConnected) root.prepend(box);
  }

  // ---- verdicts and the report, live from the event stream ------------------------------
  function follow(id) {
    if (state.events) state.events.close();
    const events = new EventSource("/v1/inspections/" + id + "/events");
    state.events = events;
    events.addEventListener("photo", (event) => {
      const photo = JSON.parse(event.data);
      notePlate(photo);
      const previous = state.photos[photo.view];
      // The latest upload of a view is what counts: an older photo's event does not replace it.
      if (previous && previous.id !== photo.id && new Date(previous.created_at) > new Date(photo.created_at)) return;
      state.photos[photo.view] = photo;
      if (state.shots[photo.view] && state.shots[photo.view].state === "sent") delete state.shots[photo.view];
      render();
      if (photo.status === "rejected") {
        const step = document.querySelector('.step[data-view="' + photo.view + '"] .advice');
        if (step) step.setAttribute("role", "alert");
      }
    });
    events.addEventListener("report", (event) => showReport(id, JSON.parse(event.data)));
    events.addEventListener("done", () => events.close());
  }

  // The plate the photos show, when it is not the one typed in: said under the heading.
  function notePlate(photo) {
    const reading = (photo.plate_readings || []).slice().sort((a, b) => b.confidence - a.confidence)[0];
    if (!reading || reading.confidence < 0.5) return;
    const typed = state.plate.replace(/[^0-9A-Za-z]/g, "").toUpperCase();
    if (reading.plate === typed) { state.plateNote = null; return; }
    state.plateNote = t("plateSuggested", { plate: reading.formatted });
  }

  async function finishInspection() {
    state.finished = true;
    render();
    try {
      await api("POST", "/v1/inspections/" + state.inspection + "/complete");
      localStorage.removeItem("walkaround.inspection");
      document.getElementById("report").replaceChildren(el("p", { text: t("reportWriting") }));
    } catch (failure) {
      state.finished = false;
      render();
      document.getElementById("report").replaceChildren(el("p", { class: "error", role: "alert", text: failure.message }));
    }
  }

  async function showReport(id, status) {
    const box = document.getElementById("report");
    if (!box) return;
    if (status.status !== "written") { box.replaceChildren(el("p", { text: t("reportWriting") })); return; }
    const report = await api("GET", "/v1/inspections/" + id + "/report");
    const all = (report.review && report.review.damages) || [];
    const damages = all.filter((d) => d.status === "new");
    const doubtful = all.filter((d) => d.status === "needs_review");
    box.replaceChildren(
      el("h2", { id: "report-title", text: t("reportReady") }),
      el("p", { id: "report-summary", text: (report.prose && report.prose.summary) || "" }),
      damages.length
        ? el("ul", { class: "report-summary" }, ...damages.map((d) => el("li", { text: [T["damage_" + d.class_name] || String(d.class_name || "").replace(/_/g, " "), d.part, d.severity].filter(Boolean).join(" · ") })))
        : el("p", { class: "ok", text: t(state.kind === "return" ? (doubtful.length ? "noNewButDoubtful" : "noNewDamages") : "checkoutStored") }),
      damages.length && doubtful.length ? el("p", { class: "warn", text: t("alsoDoubtful", { n: doubtful.length }) }) : null,
      el("a", { class: "button", href: "/v1/inspections/" + id + "/report?format=html", target: "_blank", rel: "noopener", text: t("openReport") }),
      " ",
      el("button", { type: "button", class: "secondary", text: t("another"), onclick: startScreen }));
    const title = box.querySelector("h2");
    title.setAttribute("tabindex", "-1");
    title.focus();
  }

  // ---- resume after a reload ---------------------------------------------------------------
  (async () => {
    const saved = JSON.parse(localStorage.getItem("walkaround.inspection") || "null");
    if (!saved) { startScreen(); pump(); return; }
    try {
      const inspection = await api("GET", "/v1/inspections/" + saved.id);
      if (inspection.status !== "open") { localStorage.removeItem("walkaround.inspection"); startScreen(); pump(); return; }
      walk(saved.id, saved.kind, saved.plate);
      for (const shot of await allShots()) if (shot.inspection === saved.id) state.shots[shot.view] = { key: shot.key, state: "queued", progress: 0 };
      render();
    } catch (_) {
      startScreen(); pump();
    }
  })();
})();
