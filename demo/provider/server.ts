import type { GrantErrorMessage, GrantKey, GrantMessage } from "@blindgate/sdk/provider";
import {
  grantErrorFor,
  grantMessageFor,
  intervalFromBirthDate,
  isOnOrigin,
  ProviderError,
  signGrant,
  walletReturnUrl,
} from "@blindgate/sdk/provider";
import { escapeHtml, type Lang, listen, negotiateLang, page, type Recorder, send } from "../http.js";
import { PROVIDER_STRINGS } from "./strings.js";

/*
 * The demo verification provider. Its "age check" is a stand-in, clearly labelled: the person types a birth date.
 * A real provider would check an identity document, estimate age from a face, or ask a bank. What is real is
 * everything around it: the page is opened by the wallet with nothing about any site; the provider turns the birth
 * date into what a grant may say (the SDK's intervalFromBirthDate: the highest threshold met and, for a teenager, the
 * band's upper end with the day before which the person is surely below it), signs a grant with the provider SDK,
 * hands it to the wallet by postMessage to the wallet's origin only, and keeps nothing (the birth date is not stored
 * or logged).
 */

export const THRESHOLDS = [13, 15, 16, 18, 21] as const;

export interface DemoProviderOptions {
  port?: number;
  /**
   * Host name browsers use (default 127.0.0.1). Give each party its own (provider.localhost, site.localhost,
   * ...; browsers map *.localhost to loopback): cookies are scoped by host, not port, so parties sharing
   * 127.0.0.1 would receive each other's cookies (the site's age session would reach the provider and gateway).
   */
  publicHost?: string;
  providerId: string;
  /** The gateway's issuer name: the grants' audience. */
  issuerName: string;
  /** Wallet origins this provider hands grants to; any other is refused. */
  walletOrigins: readonly string[];
  grantKey: GrantKey;
  /**
   * Tokens per grant (default 70): a first batch of a few tokens per threshold and 60 credits for the wallet's
   * refills, about three months of visits, as a real provider would sell one check.
   */
  maxTokens?: number;
  /** Clock, for tests of the birthday boundaries. */
  today?: () => Date;
  /** Sees every request the provider's server receives (tests). */
  record?: Recorder;
}

export interface DemoProvider {
  /** The URL browsers use (http://<publicHost>:<port>). */
  readonly url: string;
  /** The URL on 127.0.0.1, for code on this machine. */
  readonly localUrl: string;
  /** The verification page, as browsers reach it (register this one with the gateway). */
  readonly verifyUrl: string;
  close(): Promise<void>;
}

/** Full years between a birth date (YYYY-MM-DD) and `today` (UTC); undefined for an impossible date. */
export function ageOn(birthDate: string, today: Date): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(birthDate);
  if (m === null) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d)
    return undefined;
  if (date.getTime() > today.getTime() || y < 1900) return undefined;
  let age = today.getUTCFullYear() - y;
  const beforeBirthday =
    today.getUTCMonth() < mo - 1 || (today.getUTCMonth() === mo - 1 && today.getUTCDate() < d);
  if (beforeBirthday) age -= 1;
  return age;
}

const STATE = /^[A-Za-z0-9_-]{8,128}$/;

/** A band as the wallet asks for it, "FROM-BELOW" (below exclusive: "13-18" is 13 to 17), or undefined. */
export function parseBand(text: string): { from: number; below: number } | undefined {
  const m = /^(\d{1,3})-(\d{1,3})$/.exec(text);
  if (m === null) return undefined;
  const [from, below] = [Number(m[1]), Number(m[2])];
  return from >= 1 && below > from + 1 && below <= 150 ? { from, below } : undefined;
}

/** Grants live two minutes: the wallet spends them at once. */
export const GRANT_TTL_SECONDS = 120;

/** The heading of every page: nobody should mistake the demo for a real check. */
export const TITLE = PROVIDER_STRINGS.en.title;

const FAVICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect x="4" y="12" width="56" height="40" rx="7" fill="#b45309"/><circle cx="22" cy="30" r="7" fill="#fff7ed"/><path d="M12 46c2-7 6-9 10-9s8 2 10 9" fill="#fff7ed"/><path d="M38 26h14M38 34h14M38 42h9" stroke="#fff7ed" stroke-width="4" stroke-linecap="round"/></svg>`;

const CSS = `*{box-sizing:border-box}body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;background:#fffbeb;color:#1c1917;line-height:1.55}
.top{background:#78350f;color:#fff}.top .wrap{display:flex;align-items:center;gap:.7rem;padding:.8rem 1rem}
.top img{width:32px;height:32px}.top strong{font-size:1.05rem}.badge{margin-left:auto;border:1px solid #fde68a;color:#fde68a;border-radius:999px;padding:.05rem .6rem;font-size:.8rem;font-weight:700;letter-spacing:.04em;text-transform:uppercase}
.wrap,main{max-width:34rem;margin:0 auto;padding:0 1rem}main{padding-top:1.25rem;padding-bottom:1.5rem}
h1{font-size:1.2rem;line-height:1.35;margin:.25rem 0 1rem}
.standin{border:2px dashed #b45309;background:#fff;padding:.75rem 1rem;border-radius:.6rem;margin:0 0 1rem}
.card{background:#fff;border:1px solid #e7e5e4;border-radius:.75rem;padding:1rem 1.1rem;box-shadow:0 1px 2px rgb(0 0 0 / .05)}
label{display:block;margin:.25rem 0 .35rem;font-weight:600}
input{font:inherit;padding:.5rem .6rem;border:1px solid #78716c;border-radius:.45rem}
input[aria-invalid=true]{border-color:#b91c1c;outline:2px solid #fecaca}
button{font:inherit;font-weight:600;margin-top:1rem;padding:.6rem 1rem;border-radius:.5rem;border:1px solid #b45309;background:#b45309;color:#fff;cursor:pointer}
button:focus-visible,input:focus-visible{outline:3px solid #2563eb;outline-offset:2px}
.error{color:#b91c1c;font-weight:600;margin:.5rem 0 0}.refused{color:#991b1b}.ok{color:#166534}
.refusal{border-left:4px solid #b91c1c;background:#fef2f2;padding:.75rem 1rem;border-radius:.4rem}
.muted{color:#57534e;font-size:.92rem}footer{color:#78716c;font-size:.85rem;text-align:center;padding:1rem}`;

/*
 * The result page's script: hand the grant (or the refusal) to the wallet that opened this page, at the wallet's
 * origin only. A grant closes the window (the wallet takes over); a refusal stays up to be read, with a Close
 * button. Opened alone (no wallet), the page says so.
 */
const DONE_JS = `const d = document.getElementById("result").dataset;
const message = d.grant ? { type: "blindgate:grant", state: d.state, grant: d.grant }
  : { type: "blindgate:grant-error", state: d.state, code: d.code };
const close = document.getElementById("provider-close");
if (d.back) {
  // the wallet opened this page with no opener: back to its return page, the answer in the fragment
  if (d.grant) location.replace(d.back);
  else if (close) { close.hidden = false; close.addEventListener("click", () => location.replace(d.back)); }
} else if (window.opener) {
  window.opener.postMessage(message, d.origin);
  if (d.grant) setTimeout(() => window.close(), 300);
  if (close) { close.hidden = false; close.addEventListener("click", () => window.close()); }
} else {
  const alone = document.getElementById("alone");
  if (alone) alone.hidden = false;
}`;

/** Today's date (UTC) as YYYY-MM-DD, the date input's upper bound. */
const isoDay = (d: Date) => d.toISOString().slice(0, 10);

export async function startDemoProvider(options: DemoProviderOptions): Promise<DemoProvider> {
  const origins = new Set(options.walletOrigins.map((o) => new URL(o).origin));
  const today = options.today ?? (() => new Date());
  const maxTokens = options.maxTokens ?? 70;

  const render = (lang: Lang, title: string, body: string, scripts?: string[]) => {
    const S = PROVIDER_STRINGS[lang];
    return page(title, `<h1>${escapeHtml(S.title)}</h1>\n${body}`, {
      lang,
      css: "/provider.css",
      ...(scripts === undefined ? {} : { scripts }),
      header: `<header class="top"><div class="wrap"><img src="/favicon.svg" alt=""><strong>${escapeHtml(S.brand)}</strong><span class="badge">${escapeHtml(S.badge)}</span></div></header>`,
      footer: `<footer>${escapeHtml(S.footer)}</footer>`,
    });
  };
  const html = "text/html; charset=utf-8";

  const form = (
    lang: Lang,
    walletOrigin: string,
    walletReturn: string,
    band: string,
    state: string,
    error?: { text: string; value: string },
  ) => {
    const S = PROVIDER_STRINGS[lang];
    const invalid =
      error === undefined
        ? ""
        : ` aria-invalid="true" aria-describedby="birth-date-error" value="${escapeHtml(error.value)}"`;
    return render(
      lang,
      S.pageCheck,
      `<p class="standin"><strong>${escapeHtml(S.standIn)}</strong> ${escapeHtml(S.standInText)}</p>
<form method="post" action="/verify" class="card">
<input type="hidden" name="wallet_origin" value="${escapeHtml(walletOrigin)}">
${walletReturn === "" ? "" : `<input type="hidden" name="wallet_return" value="${escapeHtml(walletReturn)}">`}
${band === "" ? "" : `<input type="hidden" name="band" value="${escapeHtml(band)}">`}
<input type="hidden" name="state" value="${escapeHtml(state)}">
<label for="birth-date">${escapeHtml(S.birthDate)}</label>
<input type="date" id="birth-date" name="birth_date" required min="1900-01-01" max="${isoDay(today())}"${invalid}>
${error === undefined ? "" : `<p class="error" id="birth-date-error">${escapeHtml(error.text)}</p>`}
<button type="submit" id="provider-submit">${escapeHtml(S.submit)}</button>
<p class="muted">${escapeHtml(S.whatHappens)}</p>
</form>`,
    );
  };

  const server = await listen(
    options.port ?? 0,
    options.record,
    async (req, res, body) => {
      const lang = negotiateLang(req.headers["accept-language"]);
      const S = PROVIDER_STRINGS[lang];
      const url = new URL(req.url ?? "/", "http://provider");
      if (req.method === "GET" && url.pathname === "/provider.css")
        return send(res, 200, CSS, "text/css; charset=utf-8");
      if (req.method === "GET" && url.pathname === "/done.js")
        return send(res, 200, DONE_JS, "text/javascript; charset=utf-8");
      if (req.method === "GET" && url.pathname === "/favicon.svg")
        return send(res, 200, FAVICON, "image/svg+xml");
      if (url.pathname !== "/verify") return send(res, 404, "not found", "text/plain; charset=utf-8");

      const params = req.method === "POST" ? new URLSearchParams(body.toString("utf8")) : url.searchParams;
      const walletOrigin = params.get("wallet_origin") ?? "";
      const walletReturn = params.get("wallet_return") ?? ""; // absent from wallets that open with an opener
      // A band the wallet asks the check to state ("13-18": 13 to 17), only when a site asked for one; otherwise the
      // grant says "over N" and nothing about an upper age, as the EU AV provider does.
      const band = params.get("band") ?? "";
      const asked = parseBand(band);
      const state = params.get("state") ?? "";
      const badRequest = (why: string) =>
        send(res, 400, render(lang, S.pageCheck, `<p class="refusal refused">${escapeHtml(why)}</p>`), html);
      if (!origins.has(walletOrigin)) return badRequest(S.notServed);
      if (walletReturn !== "" && !isOnOrigin(walletReturn, walletOrigin)) return badRequest(S.notServed);
      if (band !== "" && asked === undefined) return badRequest(S.badBand);
      if (!STATE.test(state)) return badRequest(S.badState);

      if (req.method === "GET")
        return send(res, 200, form(lang, walletOrigin, walletReturn, band, state), html);
      if (req.method !== "POST")
        return send(res, 405, "method not allowed", "text/plain; charset=utf-8", { allow: "GET, POST" });

      const typed = params.get("birth_date") ?? "";
      if (ageOn(typed, today()) === undefined) {
        // Back to the form, with the reason next to the field: a mistyped or future date is not a dead end.
        const text = !/^\d{4}-\d{2}-\d{2}$/.test(typed)
          ? S.invalid
          : typed > isoDay(today())
            ? S.future
            : typed < "1900-01-01"
              ? S.tooOld
              : S.invalid;
        const value = /^\d{4}-\d{2}-\d{2}$/.test(typed) ? typed : "";
        return send(res, 400, form(lang, walletOrigin, walletReturn, band, state, { text, value }), html);
      }
      // What the grant says: the interval, computed at the provider from the birth date, which goes no further.
      let interval: ReturnType<typeof intervalFromBirthDate> | undefined;
      try {
        // with no band asked, the band is computed from no band at all: the grant states age_over alone
        interval = intervalFromBirthDate(typed, today(), { bands: asked === undefined ? [] : [asked] });
      } catch (error) {
        if (!(error instanceof ProviderError && error.code === "NO_THRESHOLD_MET")) throw error;
      }
      const back = (message: GrantMessage | GrantErrorMessage) =>
        walletReturn === ""
          ? ""
          : ` data-back="${escapeHtml(walletReturnUrl(walletReturn, walletOrigin, message))}"`;
      const result = (attrs: string, text: string, status = 200) =>
        send(
          res,
          status,
          render(
            lang,
            S.pageResult,
            `${text}
<p id="alone" class="muted" hidden>${escapeHtml(S.alone)}</p>
<div id="result" hidden data-origin="${escapeHtml(walletOrigin)}" data-state="${escapeHtml(state)}" ${attrs}></div>`,
            ["/done.js"],
          ),
          html,
        );
      if (interval === undefined) {
        return result(
          `data-code="UNDER_AGE"${back(grantErrorFor(state, "UNDER_AGE"))}`,
          `<div class="refusal"><h2>${escapeHtml(S.underAgeTitle)}</h2>
<p class="refused" id="refused">${escapeHtml(S.underAge(THRESHOLDS[0]))}</p>
<p>${escapeHtml(S.underAgeAfter)}</p></div>
<button type="button" id="provider-close" hidden>${escapeHtml(S.close)}</button>`,
          403,
        );
      }
      const grant = await signGrant(options.grantKey, {
        issuer: options.issuerName,
        providerId: options.providerId,
        ...interval,
        maxTokens,
        ttlSeconds: GRANT_TTL_SECONDS,
      });
      return result(
        `data-grant="${escapeHtml(grant)}"${back(grantMessageFor(state, grant))}`,
        `<p class="ok" id="done">${escapeHtml(S.done(interval.ageOver, interval.ageBelow))}</p>`,
      );
    },
    options.publicHost,
  );

  return {
    url: server.url,
    localUrl: server.localUrl,
    verifyUrl: `${server.url}/verify`,
    close: server.close,
  };
}
