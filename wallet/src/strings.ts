/** The wallet's UI strings, English and French. */
export const WALLET_STRINGS = {
  en: {
    title: "blindgate wallet",
    intro:
      "Your age tokens live here, in this browser only. Sites learn only the age you prove, never who you are.",
    asks: (origin: string, age: number) => `${origin} asks you to prove you are ${age} or older.`,
    confirm: (age: number) => `Prove I am ${age} or older`,
    cancel: "Cancel",
    providersTitle: "Check your age once",
    providersHelp:
      "You have no token for this age yet. Choose a provider: it checks your age and never learns which site asked.",
    useProvider: (name: string) => `Check my age with ${name}`,
    tokensTitle: "Tokens in this browser",
    tokensLine: (t: number, n: number) => `${t}+ : ${n} token${n === 1 ? "" : "s"}`,
    none: "No tokens yet.",
    loading: "Loading…",
    waitingProvider: "Waiting for the provider…",
    issuing: "Getting your tokens from the gateway…",
    issued: (n: number) => `${n} tokens received.`,
    ready: "Ready. Confirm to send one token to the site.",
    underAge: "Your tokens do not reach the age asked.",
    noProvider: "No provider is available right now.",
    unavailable: "The gateway cannot be reached right now.",
    lowTokens: "Few tokens left for this age: check your age again with a provider to get more.",
  },
  fr: {
    title: "Portefeuille blindgate",
    intro:
      "Vos jetons d’âge sont conservés ici, dans ce navigateur seulement. Les sites n’apprennent que l’âge prouvé, jamais qui vous êtes.",
    asks: (origin: string, age: number) =>
      `${origin} vous demande de prouver que vous avez ${age} ans ou plus.`,
    confirm: (age: number) => `Prouver que j’ai ${age} ans ou plus`,
    cancel: "Annuler",
    providersTitle: "Vérifiez votre âge une fois",
    providersHelp:
      "Vous n’avez pas encore de jeton pour cet âge. Choisissez un prestataire : il vérifie votre âge sans jamais savoir quel site l’a demandé.",
    useProvider: (name: string) => `Vérifier mon âge avec ${name}`,
    tokensTitle: "Jetons dans ce navigateur",
    tokensLine: (t: number, n: number) => `${t}+ : ${n} jeton${n === 1 ? "" : "s"}`,
    none: "Aucun jeton pour l’instant.",
    loading: "Chargement…",
    waitingProvider: "En attente du prestataire…",
    issuing: "Obtention de vos jetons auprès de la passerelle…",
    issued: (n: number) => `${n} jetons reçus.`,
    ready: "Prêt. Confirmez pour envoyer un jeton au site.",
    underAge: "Vos jetons n’atteignent pas l’âge demandé.",
    noProvider: "Aucun prestataire n’est disponible pour le moment.",
    unavailable: "La passerelle est injoignable pour le moment.",
    lowTokens:
      "Il reste peu de jetons pour cet âge : revérifiez votre âge auprès d’un prestataire pour en obtenir.",
  },
} as const;

export type WalletStrings = (typeof WALLET_STRINGS)[keyof typeof WALLET_STRINGS];
