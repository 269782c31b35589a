// Walkaround review desk: the back office's inspections, a return's new damages with the
// check-out and return crops side by side, confirm / reject / correct / add a missed damage,
// finalise, the audit trail, a vehicle's history. Everything goes through the JSON API with the
// session's cookie and CSRF token; the report's ETag guards every change (412: someone else
// changed it, the page reloads it). Keys: j / k next / previous damage, c confirm, r reject,
// e edit, n next inspection in the list, / the filters.
"use strict";
(() => {
  const root = document.getElementById("desk");
  if (!root) return;
  const { t, el, api } = window.Walkaround;
  const CLASSES = ["scratch", "dent", "crack", "glass_shatter", "lamp_broken", "tire_flat"];
  const SEVERITIES = ["minor", "moderate", "severe"];
  const REASONS = ["not_damage", "pre_existing", "duplicate", "wear_and_tear", "insufficient_evidence", "other"];
  const PARTS = JSON.parse(document.getElementById("parts").textContent);
  const state = { list: [], filters: {}, cursor: null, inspection: null, report: null, etag: null, focus: 0 };

  const options = (values, selected, label) => values.map((v) => el("option", { value: v, selected: v === selected, text: label ? label(v) : v }));
  const message = el("p", { id: "desk-message", role: "status", "aria-live": "polite" });
  const say = (text, bad) => { message.textContent = text || ""; message.className = bad ? "error" : "ok"; };
  const when = (iso) => (iso ? new Date(iso).toLocaleString(document.documentElement.lang) : "");

  // ---- the list ----------------------------------------------------------------------------
  async function showList(more) {
    if (!more) { state.list = []; state.cursor = null; }
    const query = new URLSearchParams({ limit: "25" });
    for (const [name, value] of Object.entries(state.filters)) if (value) query.set(name, value);
    if (more && state.cursor) query.set("cursor", state.cursor);
    let page;
    try {
      page = (await api("GET", "/v1/inspections?" + query)).json;
    } catch (failure) {
      say(failure.message, true);
      page = { items: [] };
    }
    state.list = state.list.concat(page.items || []);
    state.cursor = page.next_cursor || null;
    const f = state.filters;
    const form = el("form", { id: "filters", class: "filters", role: "search" },
      el("label", { for: "f-station", text: t("station") }), el("input", { id: "f-station", name: "station", type: "text", value: f.station || "" }),
      el("label", { for: "f-plate", text: t("plate") }), el("input", { id: "f-plate", name: "plate", type: "text", value: f.plate || "" }),
      el("label", { for: "f-kind", text: t("kind") }),
      el("select", { id: "f-kind", name: "kind" }, el("option", { value: "", text: t("any") }), ...options(["checkout", "return"], f.kind, (v) => t(v))),
      el("label", { for: "f-status", text: t("status") }),
      el("select", { id: "f-status", name: "status" }, el("option", { value: "", text: t("any") }), ...options(["open", "completed"], f.status, (v) => t("status_" + v))),
      el("label", { for: "f-from", text: t("from") }), el("input", { id: "f-from", name: "from", type: "date", value: f.from || "" }),
      el("label", { for: "f-to", text: t("to") }), el("input", { id: "f-to", name: "to", type: "date", value: f.to || "" }),
      el("label", { for: "f-new", text: t("newDamage") }),
      el("select", { id: "f-new", name: "new_damage" }, el("option", { value: "", text: t("any") }), ...options(["true", "false"], f.new_damage, (v) => t(v === "true" ? "yes" : "no"))),
      el("label", { for: "f-awaiting", text: t("awaitingReview") }),
      el("select", { id: "f-awaiting", name: "awaiting_review" }, el("option", { value: "", text: t("any") }), ...options(["true", "false"], f.awaiting_review, (v) => t(v === "true" ? "yes" : "no"))),
      el("button", { type: "submit", text: t("filter") }));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      state.filters = Object.fromEntries(["station", "plate", "kind", "status", "from", "to", "new_damage", "awaiting_review"].map((n) => [n, form[n].value.trim()]));
      showList(false);
    });
    const rows = state.list.map((item, index) => el("tr", {},
      el("td", {}, el("a", { href: "#/i/" + item.id, "data-index": index, text: when(item.created_at) })),
      el("td", { text: item.station }), el("td", { text: t(item.kind) }),
      el("td", { text: (item.vehicle && item.vehicle.plate) || "" }), el("td", { text: t("status_" + item.status) })));
    root.replaceChildren(el("h1", { text: t("inspections") }), message, form,
      el("table", { class: "list" },
        el("thead", {}, el("tr", {}, ...["created", "station", "kind", "plate", "status"].map((k) => el("th", { scope: "col", text: t(k) })))),
        el("tbody", {}, ...rows)),
      rows.length ? null : el("p", { class: "muted", text: t("none") }),
      state.cursor ? el("button", { type: "button", class: "secondary", id: "more", text: t("more"), onclick: () => showList(true) }) : null);
  }

  // ---- one inspection ----------------------------------------------------------------------
  async function showInspection(id) {
    let inspection;
    try {
      inspection = (await api("GET", "/v1/inspections/" + id)).json;
    } catch (failure) {
      root.replaceChildren(el("p", { class: "error", role: "alert", text: failure.message }), el("a", { href: "#/", text: t("back") }));
      return;
    }
    state.inspection = inspection;
    state.report = null; state.etag = null; state.focus = 0; state.disputes = []; state.link = null;
    if (inspection.status === "completed") {
      try {
        const answer = await api("GET", "/v1/inspections/" + id + "/report");
        state.report = answer.json; state.etag = answer.etag;
        state.disputes = (await api("GET", "/v1/inspections/" + id + "/disputes")).json.items || [];
      } catch (failure) {
        if (failure.status !== 404 && failure.status !== 409) say(failure.message, true);
      }
    }
    render();
  }

  function render() {
    const inspection = state.inspection;
    const plate = (inspection.vehicle && inspection.vehicle.plate) || "";
    const header = el("header", { class: "inspection-head" },
      el("a", { href: "#/", text: "← " + t("back") }),
      el("h1", { text: t(inspection.kind) + " · " + plate + " · " + inspection.station }),
      el("p", { class: "muted", text: when(inspection.created_at) + " · " + t("status_" + inspection.status) }),
      plate ? el("a", { href: "#/v/" + encodeURIComponent(plate), text: t("history") }) : null);
    const photos = el("section", { "aria-labelledby": "photos-title" }, el("h2", { id: "photos-title", text: t("photos") }),
      el("ul", { class: "photos" }, ...(inspection.photos || []).map((photo) => el("li", { class: "photo " + photo.status },
        el("a", { href: photo.links.annotated, target: "_blank", rel: "noopener" },
          el("img", { src: photo.links.thumbnail, alt: t("view_" + photo.view) + " · " + t("photo_" + photo.status), loading: "lazy" })),
        el("span", { text: t("view_" + photo.view) + " · " + t("photo_" + photo.status) }),
        photo.status === "rejected" ? el("span", { class: "error", text: window.Walkaround.advice(photo) }) : null))));
    const parts = [header, message, photos];
    if (state.report) parts.push(disputeSection(), reportSection(), renterSection(), addSection(), auditSection());
    root.replaceChildren(...parts);
    loadAudit();
  }

  function reportSection() {
    const report = state.report;
    const review = report.review || {};
    const evidence = Object.fromEntries((report.evidence || []).map((e) => [e.damage, e]));
    const costs = Object.fromEntries((((report.report || {}).costs || {}).lines || []).map((l) => [l.damage, l]));
    const currency = ((report.report || {}).costs || {}).currency || "";
    const damages = (review.damages || []).filter((d) => d.status !== "not_seen");
    const final = review.state === "final";
    const items = damages.map((damage, index) => {
      const proof = evidence[damage.id];
      const cost = costs[damage.id];
      const pictures = proof ? el("div", { class: "evidence" },
        el("figure", {}, el("img", { src: evidencePath(damage.id, "checkout"), alt: t("checkoutCrop", { id: damage.id }) }), el("figcaption", { text: t("checkout") })),
        el("figure", {}, el("img", { src: evidencePath(damage.id, "return"), alt: t("returnCrop", { id: damage.id }) }), el("figcaption", { text: t("return") }))) : null;
      const contested = state.disputes.filter((d) => d.damage === damage.id);
      return el("li", { class: "damage" + (index === state.focus ? " focused" : ""), id: "damage-" + damage.id, tabindex: -1, "data-damage": damage.id },
        contested.length ? el("p", { class: "warn", text: t("disputed") + ": " + contested.map((d) => d.text).join(" / ") }) : null,
        el("h3", { text: damage.id + " · " + t("class_" + damage.class_name) + " · " + t("part_" + damage.part) + " · " + t("severity_" + damage.severity) }),
        el("p", {}, el("span", { class: "status-" + damage.status, text: t("damage_" + damage.status) }),
          damage.decision ? el("strong", { class: damage.decision === "confirmed" ? "ok" : "error", text: " · " + t("decision_" + damage.decision) }) : null,
          damage.rejection_reason ? el("span", { text: " (" + t("reason_" + damage.rejection_reason) + ")" }) : null,
          cost ? el("span", { text: " · " + (cost.amount_minor != null ? money(cost.amount_minor, currency) : cost.no_estimate || "") }) : null),
        pictures,
        final ? null : el("div", { class: "actions" },
          el("button", { type: "button", "data-action": "confirm", text: t("confirm"), onclick: () => decide(damage.id, { decision: "confirmed" }) }),
          el("button", { type: "button", class: "secondary", "data-action": "reject", text: t("reject"), onclick: () => rejectForm(damage.id) }),
          el("button", { type: "button", class: "secondary", "data-action": "edit", text: t("edit"), onclick: () => editForm(damage) })),
        el("div", { class: "form-slot" }));
    });
    const total = ((review.estimate || {}).total_minor != null) ? money(review.estimate.total_minor, review.estimate.currency || currency) : null;
    return el("section", { "aria-labelledby": "report-title", id: "review" },
      el("h2", { id: "report-title", text: t("report") + " · " + t("state_" + review.state) }),
      el("p", { text: (report.prose && report.prose.summary) || "" }),
      total ? el("p", { id: "total", text: t("chargeable") + ": " + total }) : null,
      items.length ? el("ol", { class: "damages" }, ...items) : el("p", { class: "muted", text: t("noDamages") }),
      final ? el("p", { class: "ok", id: "final-note", text: t("isFinal") }) : el("div", { class: "actions" },
        review.state === "draft" ? el("button", { type: "button", id: "mark-reviewed", text: t("markReviewed"), onclick: () => changeState("reviewed") }) : null,
        review.state === "reviewed" ? el("button", { type: "button", id: "finalise", text: t("finalise"), onclick: () => changeState("final") }) : null,
        review.state === "reviewed" ? el("button", { type: "button", class: "secondary", text: t("backToDraft"), onclick: () => changeState("draft") }) : null));
  }

  const money = (minor, currency) => new Intl.NumberFormat(document.documentElement.lang, { style: "currency", currency: currency || "EUR" }).format(minor / 100);
  const evidencePath = (damage, side) => "/v1/inspections/" + state.inspection.id + "/report/damages/" + encodeURIComponent(damage) + "/evidence/" + side;

  async function change(method, path, body) {
    try {
      const answer = await api(method, path, body, { "If-Match": state.etag || "" });
      state.report = answer.json; state.etag = answer.etag;
      render();
      return true;
    } catch (failure) {
      if (failure.status === 412) {
        say(t("changedMeanwhile"), true);
        await showInspection(state.inspection.id);
      } else {
        say(failure.message, true);
      }
      return false;
    }
  }

  const decide = (damage, body) => change("PATCH", "/v1/inspections/" + state.inspection.id + "/report/damages/" + encodeURIComponent(damage), body)
    .then((ok) => { if (ok) say(t("saved")); });

  function slotOf(damage) {
    return document.querySelector('[data-damage="' + damage + '"] .form-slot');
  }

  function rejectForm(damage) {
    const form = el("form", { class: "inline-form" },
      el("label", { for: "reason-" + damage, text: t("reason") }),
      el("select", { id: "reason-" + damage, name: "reason", required: true }, ...options(REASONS, null, (v) => t("reason_" + v))),
      el("label", { for: "note-" + damage, text: t("note") }),
      el("textarea", { id: "note-" + damage, name: "note", maxlength: 1000, rows: 2 }),
      el("button", { type: "submit", text: t("reject") }));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const note = form.note.value.trim();
      decide(damage, Object.assign({ decision: "rejected", rejection_reason: form.reason.value }, note ? { note } : {}));
    });
    slotOf(damage).replaceChildren(form);
    form.reason.focus();
  }

  function editForm(damage) {
    const form = el("form", { class: "inline-form" },
      el("label", { for: "class-" + damage.id, text: t("class") }),
      el("select", { id: "class-" + damage.id, name: "class_name" }, ...options(CLASSES, damage.class_name, (v) => t("class_" + v))),
      el("label", { for: "part-" + damage.id, text: t("part") }),
      el("select", { id: "part-" + damage.id, name: "part" }, ...options(PARTS, damage.part, (v) => t("part_" + v))),
      el("label", { for: "severity-" + damage.id, text: t("severity") }),
      el("select", { id: "severity-" + damage.id, name: "severity" }, ...options(SEVERITIES, damage.severity, (v) => t("severity_" + v))),
      el("button", { type: "submit", text: t("save") }));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const body = {};
      for (const name of ["class_name", "part", "severity"]) if (form[name].value !== damage[name]) body[name] = form[name].value;
      if (Object.keys(body).length) decide(damage.id, body);
    });
    slotOf(damage.id).replaceChildren(form);
    form.class_name.focus();
  }

  const changeState = (next) => change("POST", "/v1/inspections/" + state.inspection.id + "/report/state", { state: next })
    .then((ok) => { if (ok) say(t("state_" + next)); });

  // ---- the renter: disputes, and a link to the final report ---------------------------------
  function disputeSection() {
    if (!state.disputes.length) return null;
    return el("section", { "aria-labelledby": "disputes-title", id: "disputes", class: "advice" },
      el("h2", { id: "disputes-title", text: t("disputes") }),
      el("ul", {}, ...state.disputes.map((d) => el("li", { text: when(d.created_at) + " · " + d.damage + " · " + d.text }))));
  }

  function renterSection() {
    if ((state.report.review || {}).state !== "final") return null;
    const output = el("p", { id: "renter-link" }, state.link ? el("input", { type: "text", readonly: true, value: state.link, "aria-label": t("renterLink"), size: 60 }) : null);
    return el("section", { "aria-labelledby": "renter-title" },
      el("h2", { id: "renter-title", text: t("renterLink") }),
      el("p", { class: "muted", text: t("renterHint") }),
      el("button", { type: "button", id: "make-link", text: t("makeLink"), onclick: async () => {
        try {
          const made = (await api("POST", "/v1/inspections/" + state.inspection.id + "/renter-links", { days: 30 })).json;
          state.link = location.origin + made.url;
          render();
          say(t("linkMade"));
        } catch (failure) { say(failure.message, true); }
      } }),
      output);
  }

  // ---- a damage the model missed: drawn as a box on a processed photo -----------------------
  function addSection() {
    if ((state.report.review || {}).state !== "draft") return null;
    const processed = (state.inspection.photos || []).filter((p) => p.status === "processed");
    if (!processed.length) return null;
    const select = el("select", { id: "add-photo" }, ...processed.map((p) => el("option", { value: p.id, text: t("view_" + p.view) })));
    const stage = el("div", { class: "draw" });
    const section = el("section", { "aria-labelledby": "add-title", id: "add" },
      el("h2", { id: "add-title", text: t("addMissed") }),
      el("p", { class: "muted", text: t("drawHint") }),
      el("label", { for: "add-photo", text: t("photo") }), select, stage);
    const show = () => drawOn(processed.find((p) => p.id === select.value), stage);
    select.addEventListener("change", show);
    setTimeout(show, 0);
    return section;
  }

  function drawOn(photo, stage) {
    const image = el("img", { src: photo.links.image, alt: t("view_" + photo.view), draggable: "false" });
    const box = el("div", { class: "box", hidden: true });
    const surface = el("div", { class: "surface" }, image, box);
    let start = null, drawn = null;
    const point = (event) => {
      const rect = image.getBoundingClientRect();
      return { x: Math.min(Math.max(event.clientX - rect.left, 0), rect.width), y: Math.min(Math.max(event.clientY - rect.top, 0), rect.height) };
    };
    surface.addEventListener("pointerdown", (event) => { start = point(event); surface.setPointerCapture(event.pointerId); event.preventDefault(); });
    surface.addEventListener("pointermove", (event) => {
      if (!start) return;
      const end = point(event);
      drawn = { x1: Math.min(start.x, end.x), y1: Math.min(start.y, end.y), x2: Math.max(start.x, end.x), y2: Math.max(start.y, end.y) };
      Object.assign(box.style, { left: drawn.x1 + "px", top: drawn.y1 + "px", width: drawn.x2 - drawn.x1 + "px", height: drawn.y2 - drawn.y1 + "px" });
      box.hidden = false;
    });
    surface.addEventListener("pointerup", () => { start = null; });
    const form = el("form", { class: "inline-form", id: "add-form" },
      el("label", { for: "add-class", text: t("class") }),
      el("select", { id: "add-class", name: "class_name" }, ...options(CLASSES, "scratch", (v) => t("class_" + v))),
      el("label", { for: "add-severity", text: t("severity") }),
      el("select", { id: "add-severity", name: "severity" }, ...options(SEVERITIES, "minor", (v) => t("severity_" + v))),
      el("label", { for: "add-note", text: t("note") }), el("textarea", { id: "add-note", name: "note", maxlength: 1000, rows: 2 }),
      el("button", { type: "submit", id: "add-button", text: t("add") }));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!drawn || drawn.x2 - drawn.x1 < 3 || drawn.y2 - drawn.y1 < 3) { say(t("drawFirst"), true); return; }
      // From the picture on screen to the upright photo's pixels.
      const sx = photo.width / image.clientWidth, sy = photo.height / image.clientHeight;
      const note = form.note.value.trim();
      change("POST", "/v1/inspections/" + state.inspection.id + "/report/damages", Object.assign({
        photo_id: photo.id, class_name: form.class_name.value, severity: form.severity.value,
        box: { x1: Math.round(drawn.x1 * sx), y1: Math.round(drawn.y1 * sy), x2: Math.round(drawn.x2 * sx), y2: Math.round(drawn.y2 * sy) },
      }, note ? { note } : {})).then((ok) => { if (ok) say(t("added")); });
    });
    stage.replaceChildren(surface, form);
  }

  // ---- audit trail and vehicle history ------------------------------------------------------
  function auditSection() {
    return el("section", { "aria-labelledby": "audit-title" }, el("h2", { id: "audit-title", text: t("audit") }), el("ol", { id: "audit", class: "audit" }));
  }

  async function loadAudit() {
    const list = document.getElementById("audit");
    if (!list || !state.report) return;
    try {
      const items = (await api("GET", "/v1/inspections/" + state.inspection.id + "/report/audit")).json.items || [];
      list.replaceChildren(...items.map((item) => el("li", { text: [when(item.at), item.key_name || item.role, t("audit_" + item.action), item.damage || "",
        Object.entries(item.after || {}).map(([k, v]) => k + ": " + ((item.before || {})[k] || "–") + " → " + v).join(", "), item.note || ""].filter(Boolean).join(" · ") })));
    } catch (failure) {
      say(failure.message, true);
    }
  }

  async function showVehicle(plate) {
    try {
      const history = (await api("GET", "/v1/vehicles/" + encodeURIComponent(plate) + "/inspections")).json;
      root.replaceChildren(el("a", { href: "#/", text: "← " + t("back") }), el("h1", { text: t("history") + " · " + plate }), message,
        el("ol", { class: "timeline" }, ...(history.items || history.inspections || []).map((item) => el("li", {},
          el("a", { href: "#/i/" + item.id, text: when(item.created_at) }), " · " + t(item.kind) + " · " + item.station + " · " + t("status_" + item.status)))));
    } catch (failure) {
      root.replaceChildren(el("a", { href: "#/", text: "← " + t("back") }), el("p", { class: "error", role: "alert", text: failure.message }));
    }
  }

  // ---- keyboard -----------------------------------------------------------------------------
  document.addEventListener("keydown", (event) => {
    if (event.target.closest("input, select, textarea") || event.ctrlKey || event.metaKey || event.altKey) return;
    const damages = Array.from(document.querySelectorAll("li.damage"));
    const current = damages[state.focus];
    const press = (action) => { const button = current && current.querySelector('[data-action="' + action + '"]'); if (button) { event.preventDefault(); button.click(); } };
    if (event.key === "j" || event.key === "k") {
      if (!damages.length) return;
      state.focus = (state.focus + (event.key === "j" ? 1 : damages.length - 1)) % damages.length;
      damages.forEach((d, i) => d.classList.toggle("focused", i === state.focus));
      damages[state.focus].focus();
      event.preventDefault();
    } else if (event.key === "c") press("confirm");
    else if (event.key === "r") press("reject");
    else if (event.key === "e") press("edit");
    else if (event.key === "n" && state.inspection) {
      const index = state.list.findIndex((item) => item.id === state.inspection.id);
      if (index >= 0 && index + 1 < state.list.length) location.hash = "#/i/" + state.list[index + 1].id;
    } else if (event.key === "/") {
      const first = document.getElementById("f-station");
      if (first) { event.preventDefault(); first.focus(); }
    }
  });

  function route() {
    say("");
    const hash = location.hash || "#/";
    let match;
    if ((match = hash.match(/^#\/i\/([0-9a-f-]{36})$/))) showInspection(match[1]);
    else if ((match = hash.match(/^#\/v\/(.+)$/))) showVehicle(decodeURIComponent(match[1]));
    else showList(false);
  }
  window.addEventListener("hashchange", route);
  route();
})();
