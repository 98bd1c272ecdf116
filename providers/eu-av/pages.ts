/*
 * The verify page the wallet opens, and its script. The page shows the OpenID4VP request two ways (a link for an
 * app on this device; the request URI itself, to copy or scan, for an app on another device: no QR image is drawn,
 * the URI is shown as text), offers the Digital Credentials API where the browser has it, polls for the result,
 * and posts the result message to the wallet's origin only. Strict CSP: scripts and fetches to this origin only.
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

const TITLE = "Prove your age with your EU age-verification attestation";

function layout(body: string, script: boolean): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${TITLE}</title><link rel="stylesheet" href="page.css">${script ? '<script src="page.js" defer></script>' : ""}
</head><body><main><h1>${TITLE}</h1>${body}</main></body></html>`;
}

export interface VerifyPageInput {
  id: string;
  pollSecret: string;
  walletOrigin: string;
  requestUri: string;
  dcApi: unknown;
}

export function verifyPage(input: VerifyPageInput): string {
  const uri = escapeHtml(input.requestUri);
  return layout(
    `<div id="eu-av" data-id="${escapeHtml(input.id)}" data-secret="${escapeHtml(input.pollSecret)}"
 data-wallet-origin="${escapeHtml(input.walletOrigin)}" data-dc-api="${escapeHtml(JSON.stringify(input.dcApi))}">
<p>Only the answers to "over 13 / 15 / 16 / 18 / 21?" are asked from your attestation: not your name, not your birth
date, not who issued it. This page never learns which site you are going to.</p>
<h2>On this device</h2>
<p><a id="eu-av-same-device" href="${uri}">Open my age-verification app</a></p>
<p><button type="button" id="eu-av-dc-api" hidden>Use an attestation stored in this browser</button></p>
<h2>On another device</h2>
<p>Open your age-verification app there and give it this request (copy it, or scan it with a QR code app: this page
does not draw a QR code itself):</p>
<textarea id="eu-av-request" readonly rows="4">${uri}</textarea>
<p id="eu-av-status" role="status">Waiting for your app…</p>
</div>`,
    true,
  );
}

export function errorPage(message: string): string {
  return layout(`<p class="refused" id="eu-av-refused">${escapeHtml(message)}</p>`, false);
}

export const PAGE_CSS = `body{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;line-height:1.5}
h1{font-size:1.3rem}h2{font-size:1.05rem;margin-top:1.5rem}textarea{width:100%;font-family:monospace;font-size:.75rem}
button,a{font-size:1rem}.refused{color:#b91c1c}`;

export const PAGE_JS = `"use strict";
const d = document.getElementById("eu-av").dataset;
const status = document.getElementById("eu-av-status");
let done = false;
function finish(answer) {
  done = true;
  const m = answer.message;
  const granted = m.type === "blindgate:grant";
  status.dataset.result = granted ? "granted" : m.code;
  status.textContent = granted ? "Done. Returning to your wallet…"
    : m.code === "UNDER_AGE" ? "Sorry: your attestation meets none of the age thresholds. No grant was signed."
    : "Your attestation was refused (" + m.code + "). No grant was signed.";
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
      status.textContent = "This request cannot be answered any more (" + ((r.body.error || {}).code || r.status) +
        "). Close this window and start again from your wallet.";
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
      else status.textContent = "Refused (" + ((r.body.error || {}).code || r.status) + ").";
    } catch {
      status.textContent = "The browser returned no attestation. You can use your app instead.";
    }
  };
}
poll();
`;
