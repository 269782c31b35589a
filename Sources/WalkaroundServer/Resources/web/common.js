// What the web app's scripts share: building elements (text only, never HTML), the JSON API with
// the session's cookie and CSRF token, and the page's strings.
"use strict";
window.Walkaround = (() => {
  const meta = document.querySelector('meta[name="csrf-token"]');
  const csrf = meta ? meta.content : "";
  const block = document.getElementById("strings");
  const T = block ? JSON.parse(block.textContent) : {};
  const t = (key, values) => (T[key] || key).replace(/\{(\w+)\}/g, (_, name) => (values && name in values ? values[name] : ""));
  const el = (tag, attributes = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (value === false || value == null) continue;
      if (name === "text") node.textContent = value;
      else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children) if (child != null) node.append(child);
    return node;
  };
  // One call of the JSON API: { json, etag }, or an Error with status and code; 401 goes to sign-in.
  async function api(method, path, body, headers = {}) {
    const response = await fetch(path, {
      method, credentials: "same-origin",
      headers: Object.assign({ "Accept": "application/json", "X-CSRF-Token": csrf }, body ? { "Content-Type": "application/json" } : {}, headers),
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch (_) { json = null; }
    if (response.status === 401) { location.href = "/app/signin"; throw new Error("signed out"); }
    const error = json && json.error;
    if (!response.ok) throw Object.assign(new Error((error && error.message) || response.statusText), { status: response.status, code: error && error.code });
    return { json, etag: response.headers.get("ETag") };
  }
  // The gate's advice in the page's language, by issue code; the server's (English) otherwise.
  const advice = (photo) => {
    const quality = (photo && photo.quality) || {};
    const local = (quality.issues || []).map((issue) => T["advice_" + issue.code]).filter(Boolean);
    return local.length ? local.join(" ") : quality.advice || (photo && photo.error) || "";
  };
  return { csrf, T, t, el, api, advice };
})();
