import type { Lang } from "../http.js";

/* Every word of the demo provider's pages, English and French. */

export const PROVIDER_STRINGS = {
  en: {
    title: "Demo provider — a stand-in for a real age check (identity document, face estimation, bank...)",
    brand: "Demo age-check provider",
    badge: "Demo",
    standIn: "This is not a real age check.",
    standInText:
      "A real provider would check an identity document, estimate your age from your face, or ask your bank. Here you just type a birth date. Nothing you type is stored or logged, and this page never learns which site you are visiting.",
    whatHappens:
      "Your wallet gets a batch of anonymous age tokens. Sites learn only “13 or older”, “13 to 17”, “18 or older”…, never your birth date or this provider.",
    birthDate: "Birth date",
    submit: "Check my age",
    invalid: "Please enter a valid birth date.",
    future: "That date is in the future. Please enter your birth date.",
    tooOld: "Please enter a birth date after 1 January 1900.",
    notServed: "This provider does not serve that wallet.",
    badState: "Missing or malformed state.",
    badBand: "The age band asked for is not one this provider understands.",
    underAgeTitle: "No age tokens for you yet",
    underAge: (lowest: number) =>
      `Sorry: age tokens start at ${lowest}, and you are younger. No grant was signed and nothing was kept. The site you came from is told only “not proven”.`,
    underAgeAfter: "You can close this window.",
    done: (ageOver: number, ageBelow?: number) =>
      ageBelow === undefined
        ? `Done: you are ${ageOver} or older. Returning to your wallet…`
        : `Done: you are ${ageOver} or older and under ${ageBelow}: your wallet can prove the teen ages you are in, never your exact age. Returning to your wallet…`,
    alone: "This page was not opened by a wallet, so there is nothing to hand the result to.",
    close: "Close this window",
    pageCheck: "Demo provider — age check",
    pageResult: "Demo provider — result",
    footer: "blindgate demo · the provider never receives the name of the site that asked",
  },
  fr: {
    title:
      "Prestataire de démonstration — une simulation de vérification d’âge (pièce d’identité, estimation faciale, banque…)",
    brand: "Prestataire de vérification d’âge (démo)",
    badge: "Démo",
    standIn: "Ceci n’est pas une vraie vérification d’âge.",
    standInText:
      "Un vrai prestataire vérifierait une pièce d’identité, estimerait votre âge à partir de votre visage ou interrogerait votre banque. Ici, vous saisissez simplement une date de naissance. Rien de ce que vous saisissez n’est conservé ni journalisé, et cette page ne sait jamais quel site vous visitez.",
    whatHappens:
      "Votre portefeuille reçoit un lot de jetons d’âge anonymes. Les sites apprennent seulement « 13 ans ou plus », « entre 13 et 17 ans », « 18 ans ou plus »…, jamais votre date de naissance ni ce prestataire.",
    birthDate: "Date de naissance",
    submit: "Vérifier mon âge",
    invalid: "Veuillez saisir une date de naissance valide.",
    future: "Cette date est dans le futur. Veuillez saisir votre date de naissance.",
    tooOld: "Veuillez saisir une date de naissance postérieure au 1er janvier 1900.",
    notServed: "Ce prestataire ne sert pas ce portefeuille.",
    badState: "Paramètre state absent ou mal formé.",
    badBand: "La tranche d’âge demandée n’est pas une tranche que ce prestataire comprend.",
    underAgeTitle: "Pas encore de jetons d’âge pour vous",
    underAge: (lowest: number) =>
      `Désolé : les jetons d’âge commencent à ${lowest} ans, et vous êtes plus jeune. Aucune autorisation n’a été signée et rien n’a été conservé. Le site d’où vous venez apprend seulement « non prouvé ».`,
    underAgeAfter: "Vous pouvez fermer cette fenêtre.",
    done: (ageOver: number, ageBelow?: number) =>
      ageBelow === undefined
        ? `C’est fait : vous avez ${ageOver} ans ou plus. Retour à votre portefeuille…`
        : `C’est fait : vous avez ${ageOver} ans ou plus et moins de ${ageBelow} ans : votre portefeuille peut prouver votre tranche d’âge d’ado, jamais votre âge exact. Retour à votre portefeuille…`,
    alone:
      "Cette page n’a pas été ouverte par un portefeuille : il n’y a personne à qui remettre le résultat.",
    close: "Fermer cette fenêtre",
    pageCheck: "Prestataire de démonstration — vérification d’âge",
    pageResult: "Prestataire de démonstration — résultat",
    footer: "démo blindgate · le prestataire ne reçoit jamais le nom du site qui a demandé",
  },
} as const satisfies Record<Lang, unknown>;

export type ProviderStrings = (typeof PROVIDER_STRINGS)[Lang];
