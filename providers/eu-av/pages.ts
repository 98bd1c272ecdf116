import { qrCode } from "./qr.js";
import { PAGE_STRINGS, type PageLang, type PageStrings } from "./strings.js";

/*
 * The verify page the wallet opens, and its script. The page shows the OpenID4VP request two ways (a link for an
 * app on this device; for an app on another device, a QR code drawn here as inline SVG (qr.ts) and the request
 * URI itself to copy), offers the Digital Credentials API where the browser has it, polls for the result, and
 * posts the result message to the wallet's origin only. In English or French (strings.ts). Strict CSP: scripts,
 * styles and fetches from this origin only; the QR code is markup, not a script or an image request.
 */

export const PAGE_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
  "cache-control": "no-store",
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function layout(lang: PageLang, body: string, script: boolean): string {
  const t = PAGE_STRINGS[lang];
  return `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(t.title)}</title><link rel="stylesheet" href="page.css">${script ? '<script src="page.js" defer></script>' : ""}
</head><body><main><h1>${escapeHtml(t.title)}</h1>${body}</main></body></html>`;
}

export interface VerifyPageInput {
  id: string;
  pollSecret: string;
  walletOrigin: string;
  requestUri: string;
  dcApi: unknown;
  lang: PageLang;
}

/**
 * The QR code of `text` as inline SVG, with its text alternative (role="img", aria-label and <title>: what `alt`
 * is to an <img>).
 */
export function qrSvg(text: string, alt: string): string {
  const { size, path } = qrCode(text);
  const label = escapeHtml(alt);
  return (
    `<svg id="eu-av-qr" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${size} ${size}" ` +
    `shape-rendering="crispEdges" role="img" aria-label="${label}"><title>${label}</title>` +
    `<rect width="${size}" height="${size}" fill="#fff"/><path fill="#000" d="${path}"/></svg>`
  );
}

/** The script's messages, as data-msg-* attributes of the page's root element. */
function messages(t: PageStrings): string {
  const m = {
    done: t.done,
    "under-age": t.underAge,
    refused: t.refused,
    gone: t.gone,
    "dc-refused": t.dcRefused,
    declined: t.declined,
    "wallet-error": t.walletError,
    "no-credential": t.noCredential,
  };
  return Object.entries(m)
    .map(([k, v]) => `data-msg-${k}="${escapeHtml(v)}"`)
    .join(" ");
}

export function verifyPage(input: VerifyPageInput): string {
  const t = PAGE_STRINGS[input.lang];
  const uri = escapeHtml(input.requestUri);
  return layout(
    input.lang,
    `<div id="eu-av" data-id="${escapeHtml(input.id)}" data-secret="${escapeHtml(input.pollSecret)}"
 data-wallet-origin="${escapeHtml(input.walletOrigin)}" data-dc-api="${escapeHtml(JSON.stringify(input.dcApi))}"
 ${messages(t)}>
<p>${escapeHtml(t.intro)}</p>
<h2>${escapeHtml(t.sameDevice)}</h2>
<p><a id="eu-av-same-device" href="${uri}">${escapeHtml(t.openApp)}</a></p>
<p><button type="button" id="eu-av-dc-api" hidden>${escapeHtml(t.dcApi)}</button></p>
<h2>${escapeHtml(t.otherDevice)}</h2>
<p>${escapeHtml(t.scan)}</p>
<figure>${qrSvg(input.requestUri, t.qrAlt)}</figure>
<label for="eu-av-request">${escapeHtml(t.requestLabel)}</label>
<textarea id="eu-av-request" readonly rows="4">${uri}</textarea>
<p id="eu-av-status" role="status">${escapeHtml(t.waiting)}</p>
</div>`,
    true,
  );
}

export function errorPage(lang: PageLang, message: string): string {
  return layout(lang, `<p class="refused" id="eu-av-refused">${escapeHtml(message)}</p>`, false);
}

export const PAGE_CSS = `body{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;line-height:1.5}
h1{font-size:1.3rem}h2{font-size:1.05rem;margin-top:1.5rem}textarea{width:100%;font-family:monospace;font-size:.75rem}
button,a{font-size:1rem}.refused{color:#b91c1c}figure{margin:1rem 0}
#eu-av-qr{display:block;width:100%;height:auto}label{display:block;font-size:.9rem}`;

export const PAGE_JS = `"use strict";
const d = document.getElementById("eu-av").dataset;
const status = document.getElementById("eu-av-status");
let done = false;
const say = (text, code) => text.replace("{code}", () => code);
function words(answer) {
  const m = answer.message;
  if (m.type === "blindgate:grant") return d.msgDone;
  if (m.code === "UNDER_AGE") return d.msgUnderAge;
  if (m.code === "ERR_WALLET_DECLINED") return say(d.msgDeclined, m.code);
  if (m.code === "ERR_WALLET_ERROR") {
    const e = answer.walletError || { error: "?" };
    const text = say(d.msgWalletError, m.code).replace("{error}", () => e.error);
    return e.description ? text + " — " + e.description : text;
  }
  return say(d.msgRefused, m.code);
}
function finish(answer) {
  done = true;
  const m = answer.message;
  status.dataset.result = m.type === "blindgate:grant" ? "granted" : m.code;
  status.textContent = words(answer);
  if (window.opener) { window.opener.postMessage(m, d.walletOrigin); setTimeout(() => window.close(), 300); }
}
async function post(path, body) {
  const r = await fetch(path, { method: "POST", credentials: "omit", headers: { "content-type": "application/json" },
    body: JSON.stringify(body) });
  return { status: r.status, body: await r.json().catch(() => ({})) };
}
async function poll() {
  while (!done) {
    const r = await post("result", { id: d.id, secret: d.secret }).catch(() => ({ status: 0, body: {} }));
    if (r.status === 200 && r.body.message) return finish(r.body);
    if (r.status !== 202 && r.status !== 0) {
      status.textContent = say(d.msgGone, String((r.body.error || {}).code || r.status));
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}
const dc = document.getElementById("eu-av-dc-api");
if (typeof DigitalCredential !== "undefined" && navigator.credentials) {
  dc.hidden = false;
  dc.onclick = async () => {
    try {
      const credential = await navigator.credentials.get({ digital: { requests: [JSON.parse(d.dcApi)] } });
      const data = typeof credential.data === "string" ? JSON.parse(credential.data) : credential.data;
      const r = await post("dc-api", { id: d.id, secret: d.secret, vp_token: data.vp_token });
      if (r.body.message) finish(r.body);
      else status.textContent = say(d.msgDcRefused, String((r.body.error || {}).code || r.status));
    } catch {
      status.textContent = d.msgNoCredential;
    }
  };
}
poll();
`;
