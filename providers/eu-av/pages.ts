import { PAGE_STRINGS, type PageLang, type PageStrings } from "./strings.js";

/*
 * The verify page the wallet opens, and its script. The page itself holds no session: its script opens one
 * (POST /session) and then offers the request three ways: links for an app on this device (av://, and the same
 * request as openid4vp://), a QR code of the session's short link for an app on another device (drawn from the
 * session's module runs as SVG elements, qr.ts), and the request by reference as text; where the browser has the
 * Digital Credentials API, a button for it. It polls for the result, shows it in words (granted, refused with its
 * code, declined in the app) and hands the message to the wallet's origin only. In English or French
 * (strings.ts), in the look of blindgate's other pages, with a way back to the wallet. Strict CSP: scripts,
 * styles and fetches from this origin only; the QR code is DOM, not a script or an image request.
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
</head><body><header class="top"><div class="wrap"><strong>${escapeHtml(t.brand)}</strong></div></header>
<main><h1>${escapeHtml(t.title)}</h1>${body}</main></body></html>`;
}

export interface VerifyPageInput {
  walletOrigin: string;
  /** The wallet's state, sent back with the session request and, through it, with the grant. */
  walletState: string;
  /** The band the wallet asked for ("13-16"), sent on with the session request. */
  band?: string | undefined;
  lang: PageLang;
  /** npm start's TEST wallet, when it runs: a link to answer there (same device). */
  testWalletUrl?: string | undefined;
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
    "qr-alt": t.qrAlt,
    busy: t.busy,
  };
  return Object.entries(m)
    .map(([k, v]) => `data-msg-${k}="${escapeHtml(v)}"`)
    .join(" ");
}

/**
 * The verify page: static until its script has opened the session (POST /session) and filled in the links, the
 * QR code and the Digital Credentials API button. The page holds no session of its own.
 */
export function verifyPage(input: VerifyPageInput): string {
  const t = PAGE_STRINGS[input.lang];
  return layout(
    input.lang,
    `<div id="eu-av" data-wallet-origin="${escapeHtml(input.walletOrigin)}" data-state="${escapeHtml(input.walletState)}"${
      input.band === undefined ? "" : ` data-band="${escapeHtml(input.band)}"`
    }
 ${messages(t)}>
<p class="intro">${escapeHtml(t.intro)}</p>
<section class="card"><h2>${escapeHtml(t.sameDevice)}</h2>
<p><a class="button" id="eu-av-same-device" hidden>${escapeHtml(t.openApp)}</a></p>
<p class="hint"><a id="eu-av-openid4vp" hidden>${escapeHtml(t.openOpenid4vp)}</a></p>${
      input.testWalletUrl === undefined
        ? ""
        : `\n<p class="test"><a id="eu-av-test-wallet" data-base="${escapeHtml(input.testWalletUrl)}" target="_blank" rel="noopener noreferrer" hidden>${escapeHtml(t.testWallet)}</a></p>`
    }
<p><button type="button" id="eu-av-dc-api" hidden>${escapeHtml(t.dcApi)}</button></p></section>
<section class="card"><h2>${escapeHtml(t.otherDevice)}</h2>
<p>${escapeHtml(t.scan)}</p>
<figure id="eu-av-qr-box"></figure>
<label for="eu-av-request">${escapeHtml(t.requestLabel)}</label>
<textarea id="eu-av-request" readonly rows="3"></textarea></section>
<p id="eu-av-status" role="status" aria-live="polite">${escapeHtml(t.waiting)}</p>
<p><a id="eu-av-back" class="back" href="${escapeHtml(input.walletOrigin)}/">${escapeHtml(t.back)}</a></p>
</div>`,
    true,
  );
}

export function errorPage(lang: PageLang, message: string): string {
  return layout(lang, `<p class="refused" id="eu-av-refused">${escapeHtml(message)}</p>`, false);
}

/* The look of blindgate's own pages (the wallet's palette, cards and buttons), so the person sees one service. */
export const PAGE_CSS = `*{box-sizing:border-box}body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;
background:#f1f5f9;color:#0f172a;line-height:1.5}
.top{background:#1e3a8a;color:#fff}.wrap,main{max-width:36rem;margin:0 auto;padding:0 1rem}.top .wrap{padding:.8rem 1rem}
main{padding-top:1.25rem;padding-bottom:2rem}h1{font-size:1.25rem;color:#1e3a8a;margin:.25rem 0 .75rem}
h2{font-size:1.05rem;margin:.1rem 0 .5rem}.intro{color:#475569}
.card{background:#fff;border:1px solid #cbd5e1;border-radius:.75rem;padding:1rem 1.1rem;margin:1rem 0;
box-shadow:0 1px 2px rgb(15 23 42 / .06)}
button,a.button{font:inherit;font-weight:600;display:inline-block;padding:.6rem 1rem;border-radius:.5rem;
border:1px solid #2563eb;background:#2563eb;color:#fff;cursor:pointer;text-decoration:none}
button:focus-visible,a:focus-visible{outline:3px solid #c2410c;outline-offset:2px}
a{color:#1d4ed8}.hint{font-size:.9rem;color:#475569}.back{font-weight:600}
textarea{width:100%;font-family:monospace;font-size:.75rem}.refused{color:#b91c1c}figure{margin:1rem 0}
#eu-av-qr{display:block;width:100%;max-width:18rem;height:auto;margin:0 auto}label{display:block;font-size:.9rem}
.test a{color:#9a3412;font-weight:600}#eu-av-status{font-weight:600;min-height:1.5rem}#eu-av-status[data-result=granted]{color:#166534}
#eu-av-status[data-result^=ERR],#eu-av-status[data-result=UNDER_AGE]{color:#b91c1c}`;

export const PAGE_JS = `"use strict";
const root = document.getElementById("eu-av");
const d = root.dataset;
const status = document.getElementById("eu-av-status");
const SVG = "http://www.w3.org/2000/svg";
let done = false;
let session;
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
  // A grant closes the window (the wallet takes over); a refusal stays up to be read, with the way back. A wallet
  // that opened this page with no opener gets the answer through its return page instead (returnTo).
  const back = returnTo(m);
  if (back) {
    if (m.type === "blindgate:grant") location.replace(back);
    else document.getElementById("eu-av-back").href = back;
  } else if (window.opener) {
    window.opener.postMessage(m, d.walletOrigin);
    if (m.type === "blindgate:grant") setTimeout(() => window.close(), 300);
  }
}
// The wallet's return page (wallet_return, on the wallet's origin) with the answer in the URL fragment (never sent
// to a server; @blindgate/sdk's grantFragment form); null for a wallet that named none (it has the opener).
function returnTo(m) {
  let url;
  try { url = new URL(new URLSearchParams(location.search).get("wallet_return") || ""); } catch { return null; }
  if (url.origin !== d.walletOrigin) return null;
  url.hash = new URLSearchParams(m.type === "blindgate:grant" ? { state: m.state, grant: m.grant }
    : { state: m.state, code: m.code }).toString();
  return url.href;
}
async function post(path, body) {
  const r = await fetch(path, { method: "POST", credentials: "omit", headers: { "content-type": "application/json" },
    body: JSON.stringify(body) });
  return { status: r.status, body: await r.json().catch(() => ({})) };
}
const code = (r) => String((r.body.error || {}).code || r.status);
async function poll() {
  while (!done) {
    const r = await post("result", { id: session.id, secret: session.secret }).catch(() => ({ status: 0, body: {} }));
    if (r.status === 200 && r.body.message) return finish(r.body);
    if (r.status !== 202 && r.status !== 0) {
      status.dataset.result = code(r);
      status.textContent = say(d.msgGone, code(r));
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}
function drawQr(qr) {
  const svg = document.createElementNS(SVG, "svg");
  svg.id = "eu-av-qr";
  svg.setAttribute("viewBox", "0 0 " + qr.size + " " + qr.size);
  svg.setAttribute("shape-rendering", "crispEdges");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", d.msgQrAlt);
  svg.dataset.version = String(qr.version);
  const title = document.createElementNS(SVG, "title");
  title.textContent = d.msgQrAlt;
  const rect = document.createElementNS(SVG, "rect");
  rect.setAttribute("width", String(qr.size));
  rect.setAttribute("height", String(qr.size));
  rect.setAttribute("fill", "#fff");
  const path = document.createElementNS(SVG, "path");
  path.setAttribute("fill", "#000");
  path.setAttribute("d", qr.path);
  svg.append(title, rect, path);
  document.getElementById("eu-av-qr-box").append(svg);
}
function offerDcApi() {
  const dc = document.getElementById("eu-av-dc-api");
  if (typeof DigitalCredential === "undefined" || !navigator.credentials) return;
  dc.hidden = false;
  dc.onclick = async () => {
    try {
      const credential = await navigator.credentials.get({ mediation: "required", digital: { requests: session.dcApi } });
      const data = typeof credential.data === "string" ? JSON.parse(credential.data) : credential.data;
      const r = await post("dc-api", { id: session.id, secret: session.secret, protocol: credential.protocol, data });
      if (r.body.message) finish(r.body);
      else status.textContent = say(d.msgDcRefused, code(r));
    } catch {
      status.textContent = d.msgNoCredential;
    }
  };
}
// leaving before any answer: the wallet hears CANCELLED through its return page and offers the providers again
const cancelled = returnTo({ type: "blindgate:grant-error", state: d.state, code: "CANCELLED" });
if (cancelled) document.getElementById("eu-av-back").href = cancelled;
document.getElementById("eu-av-back").addEventListener("click", (event) => {
  // opened by the wallet: closing this window is the way back (the wallet sees it closed)
  if (window.opener) { event.preventDefault(); window.close(); }
});
(async () => {
  const asked = { wallet_origin: d.walletOrigin, state: d.state };
  if (d.band) asked.band = d.band;
  const r = await post("session", asked).catch(() => ({ status: 0, body: {} }));
  if (r.status !== 200) {
    status.dataset.result = code(r);
    status.textContent = r.status === 429 ? say(d.msgBusy, code(r)) : say(d.msgGone, code(r));
    return;
  }
  session = r.body;
  const same = document.getElementById("eu-av-same-device");
  same.href = session.links.av;
  same.hidden = false;
  const test = document.getElementById("eu-av-test-wallet");
  if (test) {
    test.href = test.dataset.base + "/?request=" + encodeURIComponent(session.links.av);
    test.hidden = false;
  }
  const other = document.getElementById("eu-av-openid4vp");
  other.href = session.links.openid4vp;
  other.hidden = false;
  document.getElementById("eu-av-request").value = session.links.byReference;
  drawQr(session.qr);
  root.dataset.crossDevice = session.links.crossDevice;
  offerDcApi();
  root.dataset.ready = "true";
  poll();
})();
`;
