import type { RefusalPageLang } from "@blindgate/sdk/site";

/*
 * The verify page's words, in the two languages every blindgate page speaks (French and English): the browser's
 * Accept-Language decides (the SDK's pageLang, as the gateway's own pages), English when neither is offered.
 * Messages the page's script shows travel as data-msg-* attributes (no inline script under the CSP); `{code}`
 * stands for an error code.
 */

export type PageLang = RefusalPageLang;
export const PAGE_LANGS: readonly PageLang[] = ["en", "fr"];

export interface PageStrings {
  /** The top bar: what service this is. */
  brand: string;
  title: string;
  intro: string;
  sameDevice: string;
  openApp: string;
  /** The same request under openid4vp://, for apps that register only that scheme. */
  openOpenid4vp: string;
  /** npm start only: the link to the local TEST wallet. */
  testWallet: string;
  dcApi: string;
  otherDevice: string;
  scan: string;
  /** The QR code's text alternative. */
  qrAlt: string;
  requestLabel: string;
  waiting: string;
  done: string;
  underAge: string;
  refused: string;
  gone: string;
  dcRefused: string;
  /** The person declined in their app (`{code}`). */
  declined: string;
  /** The app answered an error: `{error}` is its OAuth error code, `{code}` ours. */
  walletError: string;
  noCredential: string;
  badRequest: string;
  wrongWallet: string;
  /** The way back to the wallet. */
  back: string;
  /** Too many requests from this address (`{code}`). */
  busy: string;
  /** The QR code's link, opened after its request was answered or expired. */
  linkGone: string;
}

export const PAGE_STRINGS: Readonly<Record<PageLang, PageStrings>> = {
  en: {
    brand: "blindgate · EU age verification",
    title: "Prove your age with your EU age-verification attestation",
    intro:
      'Only the answers to "over 13 / 15 / 16 / 18 / 21?" are asked from your attestation: not your name, not your ' +
      "birth date, not who issued it. This page never learns which site you are going to.",
    sameDevice: "On this device",
    openApp: "Open my age-verification app",
    openOpenid4vp: "My app does not open? Try the OpenID4VP link",
    testWallet: "Local development: answer with the TEST wallet (not a real check)",
    dcApi: "Use an attestation stored in this browser",
    otherDevice: "On another device",
    scan: "Scan this QR code with your phone's camera: it opens your age-verification app with this request.",
    qrAlt: "QR code of the age-verification request, for your app on another device",
    requestLabel: "The request by reference (openid4vp:// link), for apps that take it",
    waiting: "Waiting for your app…",
    done: "Done. Returning to your wallet…",
    underAge: "Sorry: your attestation meets none of the age thresholds. No grant was signed.",
    refused: "Your attestation was refused ({code}). No grant was signed.",
    gone: "This request cannot be answered any more ({code}). Close this window and start again from your wallet.",
    dcRefused: "Refused ({code}).",
    declined:
      "You declined to share your age in your app ({code}). No grant was signed. Close this window to go back to " +
      "your wallet, or start again.",
    walletError:
      "Your age-verification app could not answer: it reported the error “{error}” ({code}). No grant was signed.",
    noCredential: "The browser returned no attestation. You can use your app instead.",
    badRequest: "Missing or malformed request from the wallet.",
    wrongWallet: "This provider does not serve that wallet.",
    back: "← Back to my wallet",
    busy: "Too many verification requests from your network just now ({code}). Wait a minute, then try again.",
    linkGone:
      "This age-verification request was answered already or has expired. Start again from the page on your other device.",
  },
  fr: {
    brand: "blindgate · vérification d’âge européenne",
    title: "Prouvez votre âge avec votre attestation européenne de vérification d’âge",
    intro:
      "Seules les réponses à « plus de 13 / 15 / 16 / 18 / 21 ans ? » sont demandées à votre attestation : ni votre " +
      "nom, ni votre date de naissance, ni qui l’a délivrée. Cette page ne sait jamais vers quel site vous allez.",
    sameDevice: "Sur cet appareil",
    openApp: "Ouvrir mon application de vérification d’âge",
    openOpenid4vp: "Mon application ne s’ouvre pas ? Essayer le lien OpenID4VP",
    testWallet: "Développement local : répondre avec le portefeuille de TEST (pas une vraie vérification)",
    dcApi: "Utiliser une attestation enregistrée dans ce navigateur",
    otherDevice: "Sur un autre appareil",
    scan: "Scannez ce code QR avec l’appareil photo de votre téléphone : il ouvre votre application de vérification d’âge avec cette requête.",
    qrAlt: "Code QR de la requête de vérification d’âge, pour votre application sur un autre appareil",
    requestLabel: "La requête par référence (lien openid4vp://), pour les applications qui l’acceptent",
    waiting: "En attente de votre application…",
    done: "C’est fait. Retour à votre portefeuille…",
    underAge:
      "Désolé : votre attestation n’atteint aucun des seuils d’âge. Aucune autorisation n’a été signée.",
    refused: "Votre attestation a été refusée ({code}). Aucune autorisation n’a été signée.",
    gone:
      "Cette requête ne peut plus recevoir de réponse ({code}). Fermez cette fenêtre et recommencez depuis votre " +
      "portefeuille.",
    dcRefused: "Refusée ({code}).",
    declined:
      "Vous avez refusé de partager votre âge dans votre application ({code}). Aucune autorisation n’a été signée. " +
      "Fermez cette fenêtre pour revenir à votre portefeuille, ou recommencez.",
    walletError:
      "Votre application de vérification d’âge n’a pas pu répondre : elle a signalé l’erreur « {error} » ({code}). " +
      "Aucune autorisation n’a été signée.",
    noCredential: "Le navigateur n’a renvoyé aucune attestation. Vous pouvez utiliser votre application.",
    badRequest: "Requête du portefeuille absente ou mal formée.",
    wrongWallet: "Ce fournisseur ne sert pas ce portefeuille.",
    back: "← Revenir à mon portefeuille",
    busy: "Trop de demandes de vérification depuis votre réseau à l’instant ({code}). Attendez une minute, puis réessayez.",
    linkGone:
      "Cette demande de vérification d’âge a déjà reçu une réponse ou a expiré. Recommencez depuis la page de votre autre appareil.",
  },
};
