/*
 * privacyops consent banner. No framework, no inline styles or scripts (strict CSP).
 *
 * Order matters: the Global Privacy Control signal is read first, then the
 * configuration and the stored choice; only after that can a blocked tag
 * (<script type="text/plain" data-category="analytics">) run. Every choice is
 * stored in the declared consent cookie and recorded on the server as proof.
 *
 * Conventions that script.py's minifier relies on: comments on lines of their
 * own, no string or regular expression spanning lines.
 */
(function () {
"use strict";
var d = document, w = window;
// The privacy signal, before anything optional can run.
var GPC = navigator.globalPrivacyControl === true;
var me = d.currentScript;
var base = me && me.src ? new URL(me.src, location.href).origin : location.origin;
var lang = /^zh/i.test(d.documentElement.lang || "") ? "zh-CN" : "en";
var cfg, state, stored, banner, dialog, opener;
var ran = {};
var CSS = ".fc-banner{position:fixed;left:1rem;right:1rem;bottom:1rem;z-index:2147483000;max-width:46rem;margin:0 auto;background:#fff;color:#1d2330;border:1px solid #c9d1dd;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.2);padding:1rem 1.2rem;font:15px/1.5 system-ui,sans-serif}" +
".fc-banner h2,.fc-dialog h2{font-size:1.15rem;margin:0 0 .4rem}.fc-banner p,.fc-dialog p{margin:.3rem 0}" +
".fc-actions{display:flex;flex-wrap:wrap;gap:.6rem;margin-top:.8rem}" +
".fc-btn{flex:1 1 9rem;font:inherit;font-weight:600;padding:.6rem 1rem;border-radius:8px;border:2px solid #0b6e4f;background:#0b6e4f;color:#fff;cursor:pointer;margin:0}" +
".fc-btn.fc-alt{background:#fff;color:#0b6e4f}" +
".fc-btn:focus-visible,.fc-close:focus-visible,.fc-cat input:focus-visible,.fc-banner a:focus-visible{outline:3px solid #f2b134;outline-offset:2px}" +
".fc-banner:focus{outline:none}" +
".fc-overlay{position:fixed;inset:0;z-index:2147483001;background:rgba(16,22,36,.55);display:flex;align-items:center;justify-content:center;padding:1rem}" +
".fc-dialog{position:relative;background:#fff;color:#1d2330;border-radius:12px;max-width:40rem;width:100%;max-height:90vh;overflow:auto;padding:1.2rem 1.4rem;font:15px/1.5 system-ui,sans-serif}" +
".fc-cat{border-top:1px solid #dde2ea;padding:.6rem 0}" +
".fc-cat label{display:flex;flex-direction:row;align-items:center;gap:.5rem;color:#1d2330;font-size:1rem;margin:0}" +
".fc-cat input{width:1.15rem;height:1.15rem;margin:0;accent-color:#0b6e4f}.fc-cat p{color:#5b6478;font-size:.9rem}" +
".fc-tag{margin-left:auto;font-size:.85rem;color:#0b6e4f}.fc-gpc{color:#0b6e4f;font-weight:600}" +
".fc-close{position:absolute;top:.4rem;right:.6rem;border:0;background:none;font-size:1.6rem;line-height:1;padding:.2rem .4rem;cursor:pointer;color:#1d2330}" +
".fc-banner a,.fc-dialog a{color:#0b6e4f}";

function el(tag, attrs, kids) {
var node = d.createElement(tag);
Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
[].concat(kids || []).forEach(function (kid) {
if (kid) node.appendChild(typeof kid === "string" ? d.createTextNode(kid) : kid);
});
return node;
}

function button(text, action, alt) {
return el("button", {type: "button", "data-fc": action, "class": alt ? "fc-btn fc-alt" : "fc-btn"}, text);
}

function style() {
if (!("adoptedStyleSheets" in d)) return;
var sheet = new CSSStyleSheet();
sheet.replaceSync(CSS);
d.adoptedStyleSheets = d.adoptedStyleSheets.concat(sheet);
}

// Cookies: the consent cookie holds URI-encoded JSON {v, id, c, t, d, g}.
function readCookie(name) {
var found = null;
d.cookie.split(";").forEach(function (part) {
var i = part.indexOf("=");
if (part.slice(0, i).trim() === name) found = part.slice(i + 1).trim();
});
if (!found) return null;
try {
var value = JSON.parse(decodeURIComponent(found));
return value && value.id && value.c ? value : null;
} catch (e) {
return null;
}
}

function saveCookie(value) {
var secure = location.protocol === "https:" ? "; Secure" : "";
d.cookie = cfg.cookie.name + "=" + encodeURIComponent(JSON.stringify(value)) + "; Max-Age=" + cfg.cookie.max_age_days * 86400 + "; Path=/; SameSite=Lax" + secure;
}

// A cookie can live on the host or on any parent domain: clear it everywhere it may be.
function erase(name, declared) {
var host = location.hostname, where = [""];
if (!/^[0-9.]+$/.test(host) && host.indexOf(":") < 0) {
var parts = host.split(".");
for (var i = 0; i < parts.length - 1; i++) where.push("." + parts.slice(i).join("."));
if (declared) where.push("." + declared.replace(/^\./, ""));
}
where.forEach(function (dom) {
d.cookie = name + "=; Max-Age=0; Path=/" + (dom ? "; Domain=" + dom : "");
});
}

function newId() {
var bytes = new Uint8Array(16);
crypto.getRandomValues(bytes);
return btoa(String.fromCharCode.apply(null, bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function newer(a, b) {
var x = String(a).split(".").map(Number), y = String(b || "0.0.0").split(".").map(Number);
for (var i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] > y[i];
return false;
}

// Categories granted under an older version that a later major version asks to renew.
function staleCategories(s) {
var out = [];
(cfg.renewals || []).forEach(function (r) {
if (!newer(r.version, s.v)) return;
r.categories.concat(r.purposes).forEach(function (key) {
if (s.c[key] && out.indexOf(key) < 0) out.push(key);
});
});
return out;
}

function optional() {
return cfg.categories.filter(function (c) { return !c.required; }).concat(cfg.extra);
}

// Opt-out regimes: optional categories are on until the visitor turns them off.
function optOut() {
return cfg.categories.some(function (c) { return !c.required && c.default; });
}

function gpcApplies() {
return GPC && cfg.gpc.applies;
}

// Run blocked tags of allowed categories; clear the cookies of refused ones.
function apply() {
d.querySelectorAll("script[type=\"text/plain\"][data-category]").forEach(function (old) {
var key = old.getAttribute("data-category");
if (!allowed(key)) return;
var fresh = d.createElement("script");
[].forEach.call(old.attributes, function (a) {
if (a.name !== "type" && a.name !== "data-category") fresh.setAttribute(a.name === "data-src" ? "src" : a.name, a.value);
});
fresh.type = old.getAttribute("data-type") || "text/javascript";
if (!fresh.src) fresh.text = old.text;
old.parentNode.replaceChild(fresh, old);
ran[key] = 1;
});
cfg.categories.forEach(function (c) {
if (!allowed(c.key)) c.cookies.forEach(function (k) { erase(k.name, k.domain); });
});
status();
d.dispatchEvent(new CustomEvent("fst:consent", {detail: state}));
}

function allowed(key) {
var cat = cfg.categories.filter(function (c) { return c.key === key; })[0];
return !!(cat && cat.required) || !!state.c[key];
}

// Pages may show the current choice ([data-consent-status], a list) and a saved note.
function status(saved) {
var t = cfg.texts;
d.querySelectorAll("[data-consent-status]").forEach(function (box) {
box.textContent = "";
optional().forEach(function (c) {
box.appendChild(el("li", {}, c.label + ": " + (state.c[c.key] ? t.on : t.off)));
});
});
if (saved) d.querySelectorAll("[data-consent-saved]").forEach(function (note) {
note.textContent = t.saved;
note.hidden = false;
});
}

// Store locally first (a choice is never lost to a network error), then log it.
function record(choices, method, isDefault) {
var id = stored ? stored.id : newId();
stored = {v: cfg.policy_version, id: id, c: state.c, t: Math.floor(Date.now() / 1000), d: isDefault ? 1 : 0, g: GPC ? 1 : 0};
saveCookie(stored);
return fetch(base + "/consent/choices", {
method: "POST",
headers: {"content-type": "application/json"},
credentials: "omit",
keepalive: true,
body: JSON.stringify({cookie_id: id, choices: choices, method: method, lang: cfg.lang, policy_version: cfg.policy_version, notice_hash: cfg.notice.hash, gpc: GPC})
}).catch(function () {});
}

function choose(values, method) {
var before = state.c, choices = {}, reload = false;
state = {c: {}};
optional().forEach(function (c) {
var on = c.key in values ? !!values[c.key] : !!before[c.key];
state.c[c.key] = on;
choices[c.key] = on;
if (!on && ran[c.key]) reload = true;
});
closeDialog();
if (banner) {
banner.remove();
banner = null;
}
apply();
status(true);
var sent = record(choices, method, false);
if (reload) sent.then(function () { location.reload(); });
}

function gpcNote() {
return gpcApplies() ? el("p", {"class": "fc-gpc", "role": "status"}, "\u2713 " + cfg.texts.gpc) : null;
}

function showBanner(renew) {
var t = cfg.texts;
banner = el("div", {"class": "fc-banner", "role": "region", "aria-label": t.region, "aria-describedby": "fc-text", "tabindex": "-1"}, [
el("h2", {}, t.title),
el("p", {id: "fc-text"}, [renew ? t.renew : optOut() ? t.body_opt_out : t.body, " ", el("a", {href: base + cfg.policy_url}, t.policy)]),
gpcNote(),
el("div", {"class": "fc-actions"}, [button(t.accept, "accept"), button(t.reject, "reject"), button(t.preferences, "prefs", true)])
]);
d.body.appendChild(banner);
banner.focus();
}

function openPrefs(from) {
var t = cfg.texts;
opener = from || d.activeElement;
closeDialog();
var rows = cfg.categories.concat(cfg.extra).map(function (c) {
var id = "fc-c-" + c.key;
var box = el("input", {type: "checkbox", id: id, "data-cat": c.key, "aria-describedby": id + "-d"});
box.checked = !!c.required || !!state.c[c.key];
box.disabled = !!c.required;
var names = (c.cookies || []).map(function (k) { return k.name; }).join(", ");
return el("div", {"class": "fc-cat"}, [
el("label", {"for": id}, [box, el("strong", {}, c.label), c.required ? el("span", {"class": "fc-tag"}, t.always_on) : null]),
el("p", {id: id + "-d"}, c.description + (names ? " " + t.cookies + ": " + names + "." : ""))
]);
});
var box = el("div", {"class": "fc-dialog", "role": "dialog", "aria-modal": "true", "aria-labelledby": "fc-dtitle", "aria-describedby": "fc-dbody"}, [
el("h2", {id: "fc-dtitle"}, t.dialog),
el("p", {id: "fc-dbody"}, t.dialog_body),
gpcNote()
].concat(rows, [
el("div", {"class": "fc-actions"}, [button(t.save, "save"), button(t.accept, "accept", true), button(t.reject, "reject", true)]),
el("button", {type: "button", "class": "fc-close", "data-fc": "close", "aria-label": t.close}, "\u00d7")
]));
dialog = el("div", {"class": "fc-overlay"}, box);
d.body.appendChild(dialog);
focusables()[0].focus();
}

function focusables() {
return [].filter.call(dialog.querySelectorAll("button, input, a[href]"), function (n) { return !n.disabled; });
}

function closeDialog() {
if (!dialog) return;
dialog.remove();
dialog = null;
var back = opener && d.contains(opener) ? opener : banner;
if (back) back.focus();
}

function onClick(e) {
var target = e.target.closest("[data-fc], [data-consent-open]");
if (!target || !cfg) return;
var action = target.getAttribute("data-fc");
if (target.hasAttribute("data-consent-open")) {
e.preventDefault();
openPrefs(target);
} else if (action === "accept" || action === "reject") {
var values = {};
optional().forEach(function (c) {
var extra = cfg.extra.indexOf(c) >= 0;
values[c.key] = action === "accept" ? (extra ? !!state.c[c.key] : true) : false;
});
choose(values, target.closest(".fc-dialog") ? "preferences" : "banner");
} else if (action === "prefs") {
openPrefs(target);
} else if (action === "save") {
var chosen = {};
dialog.querySelectorAll("input[data-cat]").forEach(function (box) { chosen[box.getAttribute("data-cat")] = box.checked; });
choose(chosen, "preferences");
} else if (action === "close") {
closeDialog();
}
}

// Keyboard: Escape closes the dialog; Tab and Shift+Tab stay inside it.
function onKey(e) {
if (!dialog) return;
if (e.key === "Escape") {
e.preventDefault();
closeDialog();
} else if (e.key === "Tab") {
var list = focusables(), first = list[0], last = list[list.length - 1];
if (e.shiftKey && d.activeElement === first) {
e.preventDefault();
last.focus();
} else if (!e.shiftKey && d.activeElement === last) {
e.preventDefault();
first.focus();
} else if (!dialog.contains(d.activeElement)) {
e.preventDefault();
first.focus();
}
}
}

function start(config) {
cfg = config;
stored = readCookie(cfg.cookie.name);
var stale = stored ? staleCategories(stored) : [];
state = {c: {}};
optional().forEach(function (c) {
var has = stored && c.key in stored.c && stale.indexOf(c.key) < 0;
state.c[c.key] = has ? !!stored.c[c.key] : c.default;
if (gpcApplies() && cfg.gpc.purposes.indexOf(c.key) >= 0 && !(has && !stored.d)) state.c[c.key] = false;
});
apply();
if (!stored) {
var defaults = {}, any = false;
cfg.categories.forEach(function (c) {
if (!c.required) {
defaults[c.key] = state.c[c.key];
any = any || state.c[c.key];
}
});
if (any || gpcApplies()) record(defaults, "jurisdiction_default", true);
}
if (!stored || stored.d || stale.length) showBanner(stale.length > 0);
}

style();
d.addEventListener("click", onClick);
d.addEventListener("keydown", onKey);
w.fstConsent = {
open: function () { if (cfg) openPrefs(); },
allowed: function (key) { return !!(cfg && allowed(key)); },
gpc: GPC
};
var go = function () {
fetch(base + "/consent/config?lang=" + lang, {credentials: "omit"}).then(function (r) {
if (!r.ok) throw new Error("consent config: " + r.status);
return r.json();
}).then(start).catch(function () {});
};
if (d.readyState === "loading") d.addEventListener("DOMContentLoaded", go); else go();
})();
