import type { GateError } from "./errors.js";

/*
 * The refusal page: when the `refusalPage` option is set and a browser navigates to a gated page (its Accept header
 * prefers text/html to JSON), the 401 answer is an HTML page with a "Prove my age" button instead of the JSON body.
 * Status and headers stay the same (WWW-Authenticate included), so Privacy Pass clients and fetch() callers, which
 * do not prefer HTML, see no difference. The button runs the SDK's browser part (`prove()` from
 * "@blindgate/sdk/browser", served by the site at `browserModuleUrl`) and reloads the page once the proof endpoint
 * set the age session. The page carries its own Content-Security-Policy: its one inline script and style run under
 * a fresh nonce, scripts come only from the module's origin, and fetches only go to the site itself.
 * A 5xx refusal gets the same page without the button.
 */

/** Languages of the default refusal page. */
export type RefusalPageLang = "en" | "fr";

/** Options of the HTML refusal page (`refusalPage` in the gate's options). */
export interface RefusalPageOptions {
  /** The gateway's wallet, e.g. "https://gateway.example/wallet/". */
  walletUrl: string;
  /**
   * URL where your site serves the SDK's prebuilt browser module, e.g. "/blindgate.js": the package ships it
   * minified and self-contained as `@blindgate/sdk/browser.js` (node_modules/@blindgate/sdk/dist/browser/
   * blindgate-browser.min.js); serve that file as it is, or your own bundle of "@blindgate/sdk/browser". Same
   * origin, or an absolute URL.
   */
  browserModuleUrl: string;
  /** Page language; default: the first of "fr" or "en" in the request's Accept-Language, else "en". */
  lang?: RefusalPageLang;
  /** Your own page. Receives what the default page shows; return the HTML document. */
  render?: (context: RefusalPageContext) => string;
}

/** Why the page is shown, in the person's terms. */
export type RefusalReason =
  /** No proof yet, or one that did not do: the page offers the button. */
  | "proof-required"
  /** A band section, and the person's own age session says they are past its upper end (an adult at a teen room). */
  | "too-old"
  /** The check is unavailable (5xx): no button. */
  | "unavailable";

/** What a refusal page shows. */
export interface RefusalPageContext {
  /** The lower age of the section. */
  minAge: number;
  /** Band sections only: the age (exclusive) the person must be younger than. */
  ageBelow?: number | undefined;
  reason: RefusalReason;
  /** 401 (a proof is wanted) or 5xx (the check is unavailable: no button). */
  status: number;
  /** The refusal code (ERR_AGE_REQUIRED, ERR_TOKEN_REJECTED, ..., ERR_GATEWAY_UNAVAILABLE). */
  code: GateError["code"];
  lang: RefusalPageLang;
  proofPath: string;
  walletUrl: string;
  browserModuleUrl: string;
  /** The CSP nonce of this answer: put it on your inline `<script>` and `<style>` elements. */
  nonce: string;
}

const TEXT = {
  en: {
    title: (n: number) => `Age check: ${n} or over`,
    heading: (n: number) => `This page is for people aged ${n} or over`,
    bandTitle: (a: number, b: number) => `Age check: ${a} to ${b}`,
    bandHeading: (a: number, b: number) => `This section is only for people aged ${a} to ${b}`,
    explain:
      "Prove your age with your age wallet. This site learns only that you are old enough: not who you are, not your birth date.",
    bandExplain:
      "Prove your age with your age wallet. This site learns only that you are in this age range: not who you are, not your birth date.",
    tooOld: (b: number) =>
      `Your age proof says you are ${b} or over, so this section is closed to you. Nothing went wrong: it keeps adults out, to protect the younger people who meet here.`,
    details: "Details",
    button: "Prove my age",
    working: "Waiting for your wallet…",
    unavailable: "The age check is unavailable right now. Please try again in a few minutes.",
    noscript: "Proving your age needs JavaScript.",
    code: "Code",
  },
  fr: {
    title: (n: number) => `Vérification d'âge : ${n} ans ou plus`,
    heading: (n: number) => `Cette page est réservée aux personnes de ${n} ans ou plus`,
    bandTitle: (a: number, b: number) => `Vérification d'âge : ${a} à ${b} ans`,
    bandHeading: (a: number, b: number) => `Cet espace est réservé aux personnes de ${a} à ${b} ans`,
    explain:
      "Prouvez votre âge avec votre portefeuille d'âge. Ce site apprend seulement que vous avez l'âge requis : ni qui vous êtes, ni votre date de naissance.",
    bandExplain:
      "Prouvez votre âge avec votre portefeuille d'âge. Ce site apprend seulement que votre âge est dans cette tranche : ni qui vous êtes, ni votre date de naissance.",
    tooOld: (b: number) =>
      `Votre preuve d'âge indique que vous avez ${b} ans ou plus : cet espace vous est donc fermé. Ce n'est pas une erreur : il tient les adultes à l'écart pour protéger les plus jeunes qui s'y retrouvent.`,
    details: "Détails",
    button: "Prouver mon âge",
    working: "En attente de votre portefeuille…",
    unavailable: "La vérification d'âge est indisponible pour le moment. Réessayez dans quelques minutes.",
    noscript: "Prouver votre âge nécessite JavaScript.",
    code: "Code",
  },
} as const;

/**
 * True when an Accept header prefers HTML to JSON (a browser navigating), by q-values; `*∕*` alone is JSON.
 *
 * @example
 * ```ts
 * prefersHtml("text/html,application/xhtml+xml,*∕*;q=0.8"); // true
 * prefersHtml("*∕*"); // false
 * ```
 */
export function prefersHtml(accept: string | null): boolean {
  if (accept === null) return false;
  let html = 0;
  let json = 0;
  let any = 0;
  for (const part of accept.slice(0, 1024).split(",")) {
    const [type = "", ...params] = part.split(";").map((p) => p.trim().toLowerCase());
    const qParam = params.find((p) => p.startsWith("q="));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    if (!Number.isFinite(q)) continue;
    if (type === "text/html" || type === "application/xhtml+xml") html = Math.max(html, q);
    else if (type === "application/json" || type === "application/*") json = Math.max(json, q);
    else if (type === "*/*") any = Math.max(any, q);
  }
  return html > 0 && html > Math.max(json, any);
}

/**
 * The page language for a request: the first of "fr" or "en" in Accept-Language, else "en".
 *
 * @example
 * ```ts
 * pageLang("fr-FR,fr;q=0.9,en;q=0.8"); // "fr"
 * ```
 */
export function pageLang(acceptLanguage: string | null): RefusalPageLang {
  for (const part of (acceptLanguage ?? "").slice(0, 512).split(",")) {
    const tag = part.split(";")[0]?.trim().toLowerCase() ?? "";
    if (tag === "fr" || tag.startsWith("fr-")) return "fr";
    if (tag === "en" || tag.startsWith("en-")) return "en";
  }
  return "en";
}

/**
 * The default refusal page: a heading, one sentence on what the site learns, and the "Prove my age" button.
 *
 * @example
 * ```ts
 * const html = renderRefusalPage({ minAge: 18, reason: "proof-required", status: 401, code: "ERR_AGE_REQUIRED", lang: "en",
 *   proofPath: "/.well-known/blindgate/proof", walletUrl, browserModuleUrl: "/assets/blindgate-browser.js", nonce });
 * ```
 */
export function renderRefusalPage(c: RefusalPageContext): string {
  const t = TEXT[c.lang];
  const canProve = c.status < 500 && c.reason !== "too-old";
  const band = c.ageBelow;
  const title = band === undefined ? t.title(c.minAge) : t.bandTitle(c.minAge, band - 1);
  const heading = band === undefined ? t.heading(c.minAge) : t.bandHeading(c.minAge, band - 1);
  const ages = band === undefined ? { minAge: c.minAge } : { minAge: c.minAge, ageBelow: band };
  const config = { ages, walletUrl: c.walletUrl, proofPath: c.proofPath, lang: c.lang };
  const script = `
import { describeError, prove, STRINGS } from ${scriptString(c.browserModuleUrl)};
const config = ${scriptString(config)};
const button = document.getElementById("blindgate-prove");
const status = document.getElementById("blindgate-status");
button.hidden = false;
button.addEventListener("click", async () => {
  button.disabled = true;
  status.textContent = ${scriptString(t.working)};
  try {
    // While the wallet holds the person back (the first-use wait), say why and for how long, in their language.
    const onProgress = (p) => { status.textContent = STRINGS[config.lang].waiting(p.wait, p.secondsLeft); };
    await prove({ ...config.ages, walletUrl: config.walletUrl, proofPath: config.proofPath, onProgress });
    location.reload();
  } catch (error) {
    status.textContent = describeError(error, config.lang);
    button.disabled = false;
  }
});`;
  return `<!doctype html>
<html lang="${c.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${html(title)}</title>
<style nonce="${c.nonce}">
body { font: 16px/1.5 system-ui, sans-serif; margin: 0; display: grid; place-items: center; min-height: 100vh; background: #f6f7f9; color: #1d2433; }
main { max-width: 32rem; padding: 2rem; background: #fff; border-radius: 12px; box-shadow: 0 1px 4px #0002; }
button { font: inherit; padding: .6rem 1.2rem; border: 0; border-radius: 8px; background: #1f5fbf; color: #fff; cursor: pointer; }
button:disabled { opacity: .6; cursor: wait; }
.code { color: #5b6475; font-size: .85rem; }
</style>
</head>
<body>
<main>
<h1>${html(heading)}</h1>
${
  canProve
    ? `<p>${html(band === undefined ? t.explain : t.bandExplain)}</p>
<button id="blindgate-prove" type="button" hidden>${html(t.button)}</button>
<p id="blindgate-status" role="status"></p>
<noscript><p>${html(t.noscript)}</p></noscript>
<details class="code"><summary>${html(t.details)}</summary>${html(t.code)}: ${html(c.code)}</details>`
    : c.reason === "too-old" && band !== undefined
      ? `<p>${html(t.tooOld(band))}</p>`
      : `<p>${html(t.unavailable)}</p>`
}
</main>
${canProve ? `<script type="module" nonce="${c.nonce}">${script}\n</script>\n` : ""}</body>
</html>
`;
}

/**
 * The Content-Security-Policy of a refusal page: nothing but the nonce'd inline script and style, the browser
 * module's origin, and fetches to the site itself.
 *
 * @example
 * ```ts
 * headers.set("Content-Security-Policy", refusalPageCsp(nonce, "/assets/blindgate-browser.js"));
 * ```
 */
export function refusalPageCsp(nonce: string, browserModuleUrl: string): string {
  let scriptOrigin = "'self'";
  if (/^[a-z][a-z0-9+.-]*:/i.test(browserModuleUrl)) {
    try {
      scriptOrigin = new URL(browserModuleUrl).origin;
    } catch {
      // Not a URL: only 'self' (the page's own scripts) is allowed then.
    }
  }
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}' ${scriptOrigin}`,
    `style-src 'nonce-${nonce}'`,
    "connect-src 'self'",
    "img-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** A fresh CSP nonce (128 random bits, base64). */
export function newNonce(): string {
  return btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
}

function html(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** A JS literal that cannot close its <script> element. */
function scriptString(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}
