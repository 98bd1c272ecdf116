/** UI strings of the browser part, English and French. */
export const STRINGS = {
  en: {
    prompt: (age: number) => `This content is for people ${age} or older.`,
    button: (age: number) => `Prove I am ${age} or older`,
    working: "Waiting for your wallet…",
    failed: (code: string) => `Not proven (${code}).`,
  },
  fr: {
    prompt: (age: number) => `Ce contenu est réservé aux personnes de ${age} ans ou plus.`,
    button: (age: number) => `Prouver que j’ai ${age} ans ou plus`,
    working: "En attente de votre portefeuille…",
    failed: (code: string) => `Preuve non apportée (${code}).`,
  },
} as const;

export type Lang = keyof typeof STRINGS;

/** "fr" when the given language tag (or the browser's) is French, else "en". */
export function pickLang(tag?: string | null): Lang {
  const value = tag ?? (typeof navigator === "undefined" ? "en" : navigator.language);
  return value.toLowerCase().startsWith("fr") ? "fr" : "en";
}
