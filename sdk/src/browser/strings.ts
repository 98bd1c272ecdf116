import type { BrowserErrorCode } from "./errors.js";

/*
 * UI strings of the browser part (the <age-gate> element, and the words for every BrowserError code a page can
 * show), English and French. The browser's languages decide; a page's `lang` only when none of them is offered.
 */

const REASONS_EN: Record<BrowserErrorCode, string> = {
  POPUP_BLOCKED: "Your browser blocked the wallet's window. Allow pop-ups for this site and try again.",
  NOT_PROVEN: "Your wallet did not prove the age asked here. This site learns nothing more.",
  REPLACED: "A newer request to the wallet took over.",
  NO_PROVIDER: "The wallet has no age-check provider to offer right now.",
  WALLET_UNAVAILABLE: "The wallet did not answer. Try again in a moment.",
  PROOF_REFUSED: "This site did not accept the proof.",
  SITE_UNAVAILABLE:
    "This site could not check the proof right now; your wallet kept its token. Try again later.",
};

const REASONS_FR: Record<BrowserErrorCode, string> = {
  POPUP_BLOCKED:
    "Votre navigateur a bloqué la fenêtre du portefeuille. Autorisez les fenêtres pop-up pour ce site et réessayez.",
  NOT_PROVEN: "Votre portefeuille n’a pas prouvé l’âge demandé ici. Ce site n’en apprend pas davantage.",
  REPLACED: "Une demande plus récente au portefeuille a pris le relais.",
  NO_PROVIDER: "Le portefeuille n’a aucun prestataire de vérification d’âge à proposer pour le moment.",
  WALLET_UNAVAILABLE: "Le portefeuille n’a pas répondu. Réessayez dans un instant.",
  PROOF_REFUSED: "Ce site n’a pas accepté la preuve.",
  SITE_UNAVAILABLE:
    "Ce site n’a pas pu vérifier la preuve pour le moment ; votre portefeuille a gardé son jeton. Réessayez plus tard.",
};

/**
 * UI strings of the browser part, English and French.
 *
 * @example
 * ```ts
 * STRINGS[pickLang()].reasons.NOT_PROVEN; // "Your wallet did not prove the age asked here. …"
 * ```
 */
export const STRINGS = {
  en: {
    prompt: (age: number) => `This content is for people ${age} or older.`,
    button: (age: number) => `Prove I am ${age} or older`,
    promptBand: (from: number, below: number) =>
      `This space is only for people aged ${from} to ${below - 1}.`,
    buttonBand: (from: number, below: number) => `Prove I am ${from} to ${below - 1}`,
    checking: "Checking whether you already proved your age…",
    working: "Waiting for your wallet…",
    waiting: (wait: "first-use" | "paced", seconds: number) =>
      wait === "first-use"
        ? `Your wallet waits about ${seconds} s before it asks you: you have just checked your age, and this pause keeps the check from being matched to this visit.`
        : `Your wallet waits about ${seconds} s before it asks you: this page asked again right after your last answer.`,
    notProven: "Not proven.",
    reasons: REASONS_EN,
    failed: "Not proven.",
  },
  fr: {
    prompt: (age: number) => `Ce contenu est réservé aux personnes de ${age} ans ou plus.`,
    button: (age: number) => `Prouver que j’ai ${age} ans ou plus`,
    promptBand: (from: number, below: number) =>
      `Cet espace est réservé aux personnes de ${from} à ${below - 1} ans.`,
    buttonBand: (from: number, below: number) => `Prouver que j’ai de ${from} à ${below - 1} ans`,
    checking: "Vérification d’une preuve d’âge déjà apportée…",
    working: "En attente de votre portefeuille…",
    waiting: (wait: "first-use" | "paced", seconds: number) =>
      wait === "first-use"
        ? `Votre portefeuille attend environ ${seconds} s avant de vous demander : vous venez de vérifier votre âge, et cette pause empêche de relier cette vérification à cette visite.`
        : `Votre portefeuille attend environ ${seconds} s avant de vous demander : cette page a redemandé juste après votre dernière réponse.`,
    notProven: "Preuve non apportée.",
    reasons: REASONS_FR,
    failed: "Preuve non apportée.",
  },
} as const;

/** A language the browser part speaks. */
export type Lang = keyof typeof STRINGS;

function offered(tag: string | null | undefined): Lang | undefined {
  const primary = tag?.toLowerCase().split("-")[0];
  return primary === "fr" || primary === "en" ? primary : undefined;
}

/**
 * The language to speak: the first of the browser's languages that is offered (English or French); the page's
 * `lang` only when none is; English otherwise.
 *
 * @example
 * ```ts
 * pickLang(document.documentElement.lang); // "fr" in a French browser, whatever the page's lang
 * pickLang("fr", ["de-DE"]); // "fr": German is not offered, the page is French
 * ```
 */
export function pickLang(
  pageLang?: string | null,
  browserLanguages: readonly string[] = typeof navigator === "undefined"
    ? []
    : navigator.languages?.length
      ? navigator.languages
      : [navigator.language],
): Lang {
  for (const tag of browserLanguages) {
    const lang = offered(tag);
    if (lang !== undefined) return lang;
  }
  return offered(pageLang) ?? "en";
}

/**
 * A refusal in words, for the person: what a page shows when prove() rejects. No code in it (a visitor cannot act
 * on one); `errorCode` gives it, for a details line or the console.
 *
 * @example
 * ```ts
 * catch (e) { status.textContent = describeError(e, pickLang()); console.info(errorCode(e)); }
 * ```
 */
export function describeError(error: unknown, lang: Lang): string {
  const s = STRINGS[lang];
  const code = knownCode(error);
  return code === undefined ? s.failed : `${s.notProven} ${s.reasons[code]}`;
}

/**
 * The stable code of prove()'s error, and the site's own code after it when there is one ("PROOF_REFUSED,
 * TOKEN_REJECTED"): for a details line, a log or a support request. "ERROR" for anything else.
 *
 * @example
 * ```ts
 * errorCode(new BrowserError("NOT_PROVEN", "…")); // "NOT_PROVEN"
 * ```
 */
export function errorCode(error: unknown): string {
  const code = knownCode(error);
  if (code === undefined) return "ERROR";
  const site = (error as { siteCode?: unknown }).siteCode;
  return typeof site === "string" ? `${code}, ${site}` : code;
}

function knownCode(error: unknown): BrowserErrorCode | undefined {
  if (typeof error !== "object" || error === null || !("code" in error) || typeof error.code !== "string")
    return undefined;
  return error.code in REASONS_EN ? (error.code as BrowserErrorCode) : undefined;
}
