import type { GrantKey } from "@blindgate/sdk/provider";
import { signGrant } from "@blindgate/sdk/provider";
import { escapeHtml, listen, page, type Recorder, send } from "../http.js";

/*
 * The demo verification provider. Its "age check" is a stand-in, clearly labelled: the person types a birth date.
 * A real provider would check an identity document, estimate age from a face, or ask a bank. What is real is
 * everything around it: the page is opened by the wallet with nothing about any site; the provider computes the
 * highest threshold met, signs a grant with the provider SDK (age_over, max_tokens, nothing else), hands it to
 * the wallet by postMessage to the wallet's origin only, and keeps nothing (the birth date is not stored or logged).
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
  /** Tokens per grant (default 20). */
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

/** The highest threshold met at `age`, or undefined under the lowest. */
export function highestThreshold(age: number): number | undefined {
  return [...THRESHOLDS].reverse().find((t) => age >= t);
}

const STATE = /^[A-Za-z0-9_-]{8,128}$/;

/** Grants live two minutes: the wallet spends them at once. */
export const GRANT_TTL_SECONDS = 120;

/** The heading of every page: nobody should mistake the demo for a real check. */
export const TITLE =
  "Demo provider — a stand-in for a real age check (identity document, face estimation, bank...)";

const CSS = `body{font-family:system-ui,sans-serif;max-width:34rem;margin:2rem auto;padding:0 1rem;line-height:1.5}
h1{font-size:1.35rem}.standin{border:2px dashed #b45309;background:#fffbeb;padding:.75rem 1rem;border-radius:.5rem}
label{display:block;margin:1rem 0 .25rem;font-weight:600}input,button{font-size:1rem;padding:.4rem .6rem}
button{margin-top:1rem}.refused{color:#b91c1c}`;

const DONE_JS = `const d = document.getElementById("result").dataset;
const message = d.grant ? { type: "blindgate:grant", state: d.state, grant: d.grant }
  : { type: "blindgate:grant-error", state: d.state, code: d.code };
if (window.opener) { window.opener.postMessage(message, d.origin); setTimeout(() => window.close(), 300); }`;

export async function startDemoProvider(options: DemoProviderOptions): Promise<DemoProvider> {
  const origins = new Set(options.walletOrigins.map((o) => new URL(o).origin));
  const today = options.today ?? (() => new Date());
  const maxTokens = options.maxTokens ?? 20;
  const css = { css: "/provider.css" };

  const badRequest = (res: Parameters<typeof send>[0], why: string) =>
    send(
      res,
      400,
      page("Demo provider", `<h1>${escapeHtml(TITLE)}</h1><p class="refused">${escapeHtml(why)}</p>`, css),
      "text/html; charset=utf-8",
    );

  const server = await listen(
    options.port ?? 0,
    options.record,
    async (req, res, body) => {
      const url = new URL(req.url ?? "/", "http://provider");
      if (req.method === "GET" && url.pathname === "/provider.css")
        return send(res, 200, CSS, "text/css; charset=utf-8");
      if (req.method === "GET" && url.pathname === "/done.js")
        return send(res, 200, DONE_JS, "text/javascript; charset=utf-8");
      if (url.pathname !== "/verify") return send(res, 404, "not found", "text/plain; charset=utf-8");

      const params = req.method === "POST" ? new URLSearchParams(body.toString("utf8")) : url.searchParams;
      const walletOrigin = params.get("wallet_origin") ?? "";
      const state = params.get("state") ?? "";
      if (!origins.has(walletOrigin)) return badRequest(res, "This provider does not serve that wallet.");
      if (!STATE.test(state)) return badRequest(res, "Missing or malformed state.");

      if (req.method === "GET") {
        return send(
          res,
          200,
          page(
            "Demo provider — age check",
            `<h1>${escapeHtml(TITLE)}</h1>
<p class="standin"><strong>This is not a real age check.</strong> A real provider would check an identity document,
estimate your age from your face, or ask your bank. Here you just type a birth date. Nothing you type is stored or
logged, and this page never learns which site you are visiting.</p>
<form method="post" action="/verify">
<input type="hidden" name="wallet_origin" value="${escapeHtml(walletOrigin)}">
<input type="hidden" name="state" value="${escapeHtml(state)}">
<label for="birth-date">Birth date</label>
<input type="date" id="birth-date" name="birth_date" required>
<button type="submit" id="provider-submit">Check my age</button>
</form>`,
            css,
          ),
          "text/html; charset=utf-8",
        );
      }
      if (req.method !== "POST")
        return send(res, 405, "method not allowed", "text/plain; charset=utf-8", { allow: "GET, POST" });

      const age = ageOn(params.get("birth_date") ?? "", today());
      if (age === undefined) return badRequest(res, "Please enter a valid birth date.");
      const ageOver = highestThreshold(age);
      const result = (attrs: string, text: string, status = 200) =>
        send(
          res,
          status,
          page(
            "Demo provider — result",
            `<h1>${escapeHtml(TITLE)}</h1><p>${text}</p>
<div id="result" hidden data-origin="${escapeHtml(walletOrigin)}" data-state="${escapeHtml(state)}" ${attrs}></div>`,
            { ...css, scripts: ["/done.js"] },
          ),
          "text/html; charset=utf-8",
        );
      if (ageOver === undefined) {
        return result(
          `data-code="UNDER_AGE"`,
          `<span class="refused" id="refused">Sorry: age tokens start at ${THRESHOLDS[0]}, and you are younger. No grant was
signed and nothing was kept. You can close this window.</span>`,
          403,
        );
      }
      const grant = await signGrant(options.grantKey, {
        issuer: options.issuerName,
        providerId: options.providerId,
        ageOver,
        maxTokens,
        ttlSeconds: GRANT_TTL_SECONDS,
      });
      return result(
        `data-grant="${escapeHtml(grant)}"`,
        `Done: you are ${ageOver} or older. Returning to your wallet…`,
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
