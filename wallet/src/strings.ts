/*
 * The wallet's words, English and French: every string the page shows. The browser's languages decide (pickLang).
 * No stable code in the words: a refusal's code goes to a "Details" line under them (ui.ts), where a person can quote
 * it and a developer look it up.
 */

type Refusal = (code: string) => string;

const en = {
  title: "blindgate wallet",
  intro:
    "Your age tokens live here, in this browser only. A site learns only the age you choose to prove — never who you are.",
  standalone:
    "Sites open this wallet when they ask for your age. Here you can see what it holds, check your age ahead of any visit, or delete everything; nothing goes to a site unless you confirm.",
  asks: (age: number, below?: number) =>
    below === undefined
      ? ` asks you to prove you are ${age} or older.`
      : ` asks you to prove you are ${age} to ${below - 1} years old.`,
  reveal: (age: number, below?: number) =>
    `The site will learn one thing: “${below === undefined ? `${age} or older` : `${age} to ${below - 1}`}”. Not your name, not your birth date, not who checked your age.`,
  confirm: (age: number, below?: number) =>
    below === undefined ? `Prove I am ${age} or older` : `Prove I am ${age} to ${below - 1}`,
  tooOldTitle: "This space is for younger people",
  tooOldText: (from: number, below: number, checked: number) =>
    `This site asks for people aged ${from} to ${below - 1}. Your last age check showed you are ${checked} or older, so the wallet cannot enter you here. The site is told only “not proven”, nothing about your age.`,
  bandUnknown:
    "This site asks for an age range, and your last age check did not say enough for it. Check your age with a provider: it never learns which site asked.",
  arming: "Take a second to read: the button becomes active in a moment.",
  armingAgain:
    "Something was clicked or pressed while the button was getting ready, so it waits one more second. Read first, then confirm.",
  confirmTitle: "Prove your age to this site?",
  pacedTitle: "This site asked again right away",
  pacedText:
    "The wallet answered this site a moment ago, and it is asking again. So that a page cannot collect tokens by asking over and over, the wallet waits a little before asking you.",
  pacedLeft: (seconds: number) => `You will be asked in about ${seconds} s.`,
  skipAsked:
    "This site asks to skip this wait. If you skip it, the gateway — if it works with the site — could tell that this visit comes from the person who just checked their age, and with the provider’s help, who you are. Waiting costs you only the seconds shown.",
  skipWait: "Skip the wait (less private)",
  cancel: "Cancel",
  close: "Close",
  tryAgain: "Try again",
  higherTitle: (wanted: number) => `No “${wanted} or older” token left`,
  higherText: (wanted: number, higher: number) =>
    `You still hold “${higher} or older” tokens, but sending one would tell this site more than it asked (“${wanted} or older”). Check your age again to get “${wanted} or older” tokens, or reveal more only if you accept it.`,
  revealHigher: (higher: number) => `Reveal “${higher} or older” instead`,
  recheck: "Check my age again",
  providersTitle: "Check your age once",
  providersHelp:
    "You have no token for this age yet. Choose a provider: it checks your age and never learns which site asked.",
  providersUsedUp:
    "Your tokens for this age are used up. Check your age again with a provider: it never learns which site asked.",
  useProvider: (name: string) => `Check my age with ${name}`,
  belowTitle: "Your age check does not reach this age",
  belowText: (checked: number, asked: number, date: string, lowest: number | undefined) =>
    checked === 0
      ? lowest === undefined
        ? `Your last age check, on ${date}, did not confirm your age. This site asks for ${asked} or older.`
        : `Your last age check, on ${date}, did not confirm you are ${lowest} or older. This site asks for ${asked} or older.`
      : `Your last age check, on ${date}, showed you are ${checked} or older. This site asks for ${asked} or older.`,
  notProven: "Tell the site “not proven”",
  birthday: "I have had a birthday since: check again",
  underAgeNow: (checked: number, asked: number | undefined, lowest: number | undefined) =>
    checked === 0
      ? `The provider could not confirm ${lowest === undefined ? "your age" : `you are ${lowest} or older`}, so no token was made and nothing was kept. The site is told only “not proven”.`
      : `The provider checked your age: ${checked} or older, not ${asked}. Your tokens are kept for sites that ask for less. The site is told only “not proven”.`,
  waitingProvider: "Finish the age check in the provider’s window…",
  providerClosed:
    "The provider’s window was closed before the check finished. Nothing was sent. You can try again.",
  providerAgain: "The provider’s window is closed: choose again",
  returnBack: "Back to your wallet…",
  returnNoWallet:
    "No wallet window is waiting for this age check, so nothing was kept. Go back to the site and ask again; you can close this window.",
  returnNothing: "Nothing to hand to the wallet here. You can close this window.",
  popupBlocked: "Your browser blocked the provider’s window. Allow pop-ups for this wallet and try again.",
  issuing: "Getting your tokens from the gateway…",
  issued: (n: number) => `${n} tokens received.`,
  timingWait: "Waiting a moment, so that the gateway cannot match your new tokens to this visit…",
  checkingKeys: "Checking the gateway’s public keys…",
  sending: "Sending one token to the site…",
  done: (age: number, below?: number) =>
    `Done. The site now knows you are ${below === undefined ? `${age} or older` : `${age} to ${below - 1}`}, and nothing else.`,
  siteKept:
    "The site could not check your token right now. The token was kept for this site: try again when it is back.",
  siteRefused: "The site refused this token. It was removed from your wallet.",
  keyLog: "The wallet could not check the gateway’s key log, so it sends nothing. Try again in a moment.",
  noProvider: "No provider is available right now. The site is told only that no age was proven.",
  details: "Details",
  noneChild: (lowest: number | undefined) =>
    lowest === undefined
      ? "No tokens: your last age check did not confirm an age sites ask for."
      : `No tokens: your last age check did not confirm you are ${lowest} or older. Sites that ask for an age will be told only “not proven”.`,
  issuanceRefused: ((code: string) => {
    const why =
      code === "ERR_PROVIDER_SUSPENDED"
        ? "The gateway no longer accepts age checks from this provider: it is suspended."
        : code === "ERR_PROVIDER_QUOTA"
          ? "This provider has used up its allowance at the gateway for now."
          : code === "ERR_PROVIDER_UNKNOWN"
            ? "The gateway does not know this provider."
            : code === "ERR_GRANT_EXPIRED"
              ? "The provider’s answer expired before it reached the gateway."
              : code === "ERR_GRANT_REPLAYED"
                ? "The provider’s answer had already been used."
                : code.startsWith("ERR_GRANT_")
                  ? "The gateway refused the provider’s answer."
                  : code === "NETWORK" || code === "DIRECTORY_UNAVAILABLE" || code.startsWith("HTTP_5")
                    ? "The gateway cannot be reached right now."
                    : "The gateway refused to issue tokens.";
    return `${why} No token was made. Choose another provider, or try again later.`;
  }) satisfies Refusal,
  tokensTitle: "In this browser",
  tokensLine: (t: number, n: number, below?: number) =>
    `${below === undefined ? `${t} or older` : `${t} to ${below - 1}`}: ${n} token${n === 1 ? "" : "s"}`,
  none: "No tokens yet.",
  lastCheck: (checked: number, date: string) =>
    checked === 0 ? `Last age check: ${date}, under 13.` : `Last age check: ${date}, ${checked} or older.`,
  loading: "Loading…",
  lowTokens: "Few tokens left for this age: the next time, the wallet will ask you to check your age again.",
  homeTitle: "Your wallet",
  getTokens: "Check my age now",
  providersStandalone:
    "Check your age once, before any site asks: the provider never learns which sites you visit, and the wallet keeps tokens ready.",
  back: "Back",
  deleteAll: "Delete everything",
  deleteTitle: "Delete everything in this wallet?",
  deleteText:
    "Your tokens, your credits and the date of your last age check will be gone from this browser. To prove your age again, you will have to check it again with a provider.",
  deleteConfirm: "Yes, delete everything",
  deleteKeep: "Keep my wallet",
  deleted: "Everything was deleted from this wallet.",
  readyNow: (n: number) =>
    `${n} tokens received, and credits for more. Sites can now ask for your age; the wallet keeps a few tokens ready in the background.`,
  credits: (n: number, age: number) =>
    `Credits for new tokens: ${n} (any age up to ${age} or older). The wallet buys tokens with them in the background; the gateway cannot tell it is you.`,
  noCredits: "No credits for new tokens: when the tokens above are used up, check your age again.",
  due: (date: string) => `Check your age again by ${date}: after that day your credits expire.`,
  refilling: (age: number) => `Getting a fresh “${age} or older” token with your credits…`,
  firstUseTitle: "One moment before your first proof",
  firstUseText: (k: number, expected: number | undefined) =>
    expected === undefined
      ? `You have just checked your age. So that the gateway cannot match this visit to that check by its time, the wallet waits a little before answering the site. The gateway does not say how many people check their age, so the wallet waits about a minute at most.`
      : expected >= k
        ? `You have just checked your age. So that the gateway cannot match this visit to that check by its time, the wallet waits until about ${k} other people are expected to have checked theirs too.`
        : `You have just checked your age. So that the gateway cannot match this visit to that check by its time, the wallet waits before answering the site; in that time about ${expected} other people are expected to check theirs (the wait is capped at a minute).`,
  firstUseLeft: (seconds: number) => `About ${seconds} s left.`,
  firstUseProgress: "Waiting before the first proof",
  keySet:
    "The gateway’s keys could let it tell people apart (too many keys for one age, or keys that change too often), so the wallet uses none of them.",
};

type WalletStringsShape = typeof en;

const fr: WalletStringsShape = {
  title: "Portefeuille blindgate",
  intro:
    "Vos jetons d’âge sont conservés ici, dans ce navigateur seulement. Un site n’apprend que l’âge que vous choisissez de prouver, jamais qui vous êtes.",
  standalone:
    "Les sites ouvrent ce portefeuille quand ils vous demandent votre âge. Vous voyez ici ce qu’il contient, vous pouvez vérifier votre âge avant toute visite ou tout supprimer ; rien ne part vers un site sans votre confirmation.",
  asks: (age, below) =>
    below === undefined
      ? ` vous demande de prouver que vous avez ${age} ans ou plus.`
      : ` vous demande de prouver que vous avez de ${age} à ${below - 1} ans.`,
  reveal: (age, below) =>
    `Le site apprendra une seule chose : « ${below === undefined ? `${age} ans ou plus` : `de ${age} à ${below - 1} ans`} ». Ni votre nom, ni votre date de naissance, ni qui a vérifié votre âge.`,
  confirm: (age, below) =>
    below === undefined
      ? `Prouver que j’ai ${age} ans ou plus`
      : `Prouver que j’ai de ${age} à ${below - 1} ans`,
  tooOldTitle: "Cet espace est réservé à des personnes plus jeunes",
  tooOldText: (from, below, checked) =>
    `Ce site demande des personnes de ${from} à ${below - 1} ans. Votre dernière vérification d’âge a montré que vous avez ${checked} ans ou plus : le portefeuille ne peut donc pas vous faire entrer ici. Le site apprend seulement « non prouvé », rien sur votre âge.`,
  bandUnknown:
    "Ce site demande une tranche d’âge, et votre dernière vérification d’âge n’en dit pas assez. Vérifiez votre âge auprès d’un prestataire : il ne saura jamais quel site l’a demandé.",
  arming: "Prenez une seconde pour lire : le bouton s’active dans un instant.",
  armingAgain:
    "Un clic ou une touche est arrivé pendant que le bouton se préparait : il attend donc une seconde de plus. Lisez d’abord, puis confirmez.",
  confirmTitle: "Prouver votre âge à ce site ?",
  pacedTitle: "Ce site redemande aussitôt",
  pacedText:
    "Le portefeuille vient de répondre à ce site, qui redemande déjà. Pour qu’une page ne puisse pas collecter des jetons en demandant sans cesse, le portefeuille attend un peu avant de vous demander.",
  pacedLeft: (seconds) => `Vous serez sollicité dans ${seconds} s environ.`,
  skipAsked:
    "Ce site demande de sauter cette attente. Si vous la sautez, la passerelle — si elle coopère avec le site — pourrait savoir que cette visite vient de la personne qui vient de vérifier son âge, et avec l’aide du prestataire, qui vous êtes. Attendre ne vous coûte que les secondes affichées.",
  skipWait: "Sauter l’attente (moins confidentiel)",
  cancel: "Annuler",
  close: "Fermer",
  tryAgain: "Réessayer",
  higherTitle: (wanted) => `Plus de jeton « ${wanted} ans ou plus »`,
  higherText: (wanted, higher) =>
    `Il vous reste des jetons « ${higher} ans ou plus », mais en envoyer un apprendrait à ce site plus qu’il n’a demandé (« ${wanted} ans ou plus »). Revérifiez votre âge pour obtenir des jetons « ${wanted} ans ou plus », ou n’en révélez davantage que si vous l’acceptez.`,
  revealHigher: (higher) => `Révéler « ${higher} ans ou plus » à la place`,
  recheck: "Revérifier mon âge",
  providersTitle: "Vérifiez votre âge une fois",
  providersHelp:
    "Vous n’avez pas encore de jeton pour cet âge. Choisissez un prestataire : il vérifie votre âge sans jamais savoir quel site l’a demandé.",
  providersUsedUp:
    "Vos jetons pour cet âge sont épuisés. Revérifiez votre âge auprès d’un prestataire : il ne saura jamais quel site l’a demandé.",
  useProvider: (name) => `Vérifier mon âge avec ${name}`,
  belowTitle: "Votre vérification d’âge n’atteint pas cet âge",
  belowText: (checked, asked, date, lowest) =>
    checked === 0
      ? lowest === undefined
        ? `Votre dernière vérification d’âge, le ${date}, n’a pas confirmé votre âge. Ce site demande ${asked} ans ou plus.`
        : `Votre dernière vérification d’âge, le ${date}, n’a pas confirmé que vous avez ${lowest} ans ou plus. Ce site demande ${asked} ans ou plus.`
      : `Votre dernière vérification d’âge, le ${date}, a montré que vous avez ${checked} ans ou plus. Ce site demande ${asked} ans ou plus.`,
  notProven: "Répondre au site « non prouvé »",
  birthday: "J’ai eu un anniversaire depuis : revérifier",
  underAgeNow: (checked, asked, lowest) =>
    checked === 0
      ? `Le prestataire n’a pas pu confirmer ${lowest === undefined ? "votre âge" : `que vous avez ${lowest} ans ou plus`} : aucun jeton n’a été créé et rien n’a été conservé. Le site apprend seulement « non prouvé ».`
      : `Le prestataire a vérifié votre âge : ${checked} ans ou plus, pas ${asked}. Vos jetons sont gardés pour les sites qui demandent moins. Le site apprend seulement « non prouvé ».`,
  waitingProvider: "Terminez la vérification dans la fenêtre du prestataire…",
  providerClosed:
    "La fenêtre du prestataire a été fermée avant la fin de la vérification. Rien n’a été envoyé. Vous pouvez réessayer.",
  providerAgain: "La fenêtre du prestataire est fermée : choisir à nouveau",
  returnBack: "Retour à votre portefeuille…",
  returnNoWallet:
    "Aucune fenêtre du portefeuille n’attend cette vérification d’âge : rien n’a été conservé. Revenez au site et redemandez ; vous pouvez fermer cette fenêtre.",
  returnNothing: "Rien à transmettre au portefeuille ici. Vous pouvez fermer cette fenêtre.",
  popupBlocked:
    "Votre navigateur a bloqué la fenêtre du prestataire. Autorisez les fenêtres pop-up pour ce portefeuille et réessayez.",
  issuing: "Obtention de vos jetons auprès de la passerelle…",
  issued: (n) => `${n} jetons reçus.`,
  timingWait:
    "Un court instant d’attente, pour que la passerelle ne puisse pas relier vos nouveaux jetons à cette visite…",
  checkingKeys: "Vérification des clés publiques de la passerelle…",
  sending: "Envoi d’un jeton au site…",
  done: (age, below) =>
    `C’est fait. Le site sait maintenant que vous avez ${below === undefined ? `${age} ans ou plus` : `de ${age} à ${below - 1} ans`}, et rien d’autre.`,
  siteKept:
    "Le site n’a pas pu vérifier votre jeton pour le moment. Le jeton a été gardé pour ce site : réessayez quand il sera de retour.",
  siteRefused: "Le site a refusé ce jeton. Il a été retiré de votre portefeuille.",
  keyLog:
    "Le portefeuille n’a pas pu vérifier le journal des clés de la passerelle ; il n’envoie donc rien. Réessayez dans un instant.",
  noProvider:
    "Aucun prestataire n’est disponible pour le moment. Le site apprend seulement qu’aucun âge n’a été prouvé.",
  details: "Détails",
  noneChild: (lowest) =>
    lowest === undefined
      ? "Aucun jeton : votre dernière vérification d’âge n’a pas confirmé un âge que les sites demandent."
      : `Aucun jeton : votre dernière vérification d’âge n’a pas confirmé que vous avez ${lowest} ans ou plus. Les sites qui demandent un âge apprendront seulement « non prouvé ».`,
  issuanceRefused: (code) => {
    const why =
      code === "ERR_PROVIDER_SUSPENDED"
        ? "La passerelle n’accepte plus les vérifications de ce prestataire : il est suspendu."
        : code === "ERR_PROVIDER_QUOTA"
          ? "Ce prestataire a épuisé son quota auprès de la passerelle pour le moment."
          : code === "ERR_PROVIDER_UNKNOWN"
            ? "La passerelle ne connaît pas ce prestataire."
            : code === "ERR_GRANT_EXPIRED"
              ? "La réponse du prestataire a expiré avant d’atteindre la passerelle."
              : code === "ERR_GRANT_REPLAYED"
                ? "La réponse du prestataire avait déjà été utilisée."
                : code.startsWith("ERR_GRANT_")
                  ? "La passerelle a refusé la réponse du prestataire."
                  : code === "NETWORK" || code === "DIRECTORY_UNAVAILABLE" || code.startsWith("HTTP_5")
                    ? "La passerelle est injoignable pour le moment."
                    : "La passerelle a refusé d’émettre des jetons.";
    return `${why} Aucun jeton n’a été créé. Choisissez un autre prestataire, ou réessayez plus tard.`;
  },
  tokensTitle: "Dans ce navigateur",
  tokensLine: (t, n, below) =>
    `${below === undefined ? `${t} ans ou plus` : `de ${t} à ${below - 1} ans`} : ${n} jeton${n === 1 ? "" : "s"}`,
  none: "Aucun jeton pour l’instant.",
  lastCheck: (checked, date) =>
    checked === 0
      ? `Dernière vérification d’âge : ${date}, moins de 13 ans.`
      : `Dernière vérification d’âge : ${date}, ${checked} ans ou plus.`,
  loading: "Chargement…",
  lowTokens:
    "Il reste peu de jetons pour cet âge : la prochaine fois, le portefeuille vous proposera de revérifier votre âge.",
  homeTitle: "Votre portefeuille",
  getTokens: "Vérifier mon âge maintenant",
  providersStandalone:
    "Vérifiez votre âge une fois, avant qu’un site ne le demande : le prestataire ne saura jamais quels sites vous visitez, et le portefeuille garde des jetons prêts.",
  back: "Retour",
  deleteAll: "Tout supprimer",
  deleteTitle: "Tout supprimer de ce portefeuille ?",
  deleteText:
    "Vos jetons, vos crédits et la date de votre dernière vérification d’âge disparaîtront de ce navigateur. Pour prouver votre âge à nouveau, il faudra le revérifier auprès d’un prestataire.",
  deleteConfirm: "Oui, tout supprimer",
  deleteKeep: "Garder mon portefeuille",
  deleted: "Tout a été supprimé de ce portefeuille.",
  readyNow: (n) =>
    `${n} jetons reçus, et des crédits pour d’autres. Les sites peuvent maintenant vous demander votre âge ; le portefeuille garde quelques jetons prêts en arrière-plan.`,
  credits: (n, age) =>
    `Crédits pour de nouveaux jetons : ${n} (tout âge jusqu’à ${age} ans ou plus). Le portefeuille achète des jetons avec eux en arrière-plan ; la passerelle ne peut pas savoir que c’est vous.`,
  noCredits:
    "Aucun crédit pour de nouveaux jetons : quand les jetons ci-dessus seront épuisés, revérifiez votre âge.",
  due: (date) => `Revérifiez votre âge avant le ${date} : après ce jour, vos crédits expirent.`,
  refilling: (age) => `Obtention d’un nouveau jeton « ${age} ans ou plus » avec vos crédits…`,
  firstUseTitle: "Un instant avant votre première preuve",
  firstUseText: (k, expected) =>
    expected === undefined
      ? "Vous venez de vérifier votre âge. Pour que la passerelle ne puisse pas relier cette visite à cette vérification par l’heure, le portefeuille attend un peu avant de répondre au site. La passerelle n’indique pas combien de personnes vérifient leur âge : l’attente dure au plus une minute environ."
      : expected >= k
        ? `Vous venez de vérifier votre âge. Pour que la passerelle ne puisse pas relier cette visite à cette vérification par l’heure, le portefeuille attend qu’environ ${k} autres personnes aient vérifié le leur.`
        : `Vous venez de vérifier votre âge. Pour que la passerelle ne puisse pas relier cette visite à cette vérification par l’heure, le portefeuille attend avant de répondre au site ; pendant ce temps, environ ${expected} autres personnes devraient vérifier le leur (l’attente est limitée à une minute).`,
  firstUseLeft: (seconds) => `Encore ${seconds} s environ.`,
  firstUseProgress: "Attente avant la première preuve",
  keySet:
    "Les clés de la passerelle pourraient lui permettre de distinguer des personnes (trop de clés pour un même âge, ou des clés qui changent trop souvent) : le portefeuille n’en utilise aucune.",
};

/** The wallet's UI strings, English and French. */
export const WALLET_STRINGS = { en, fr } as const;

export type WalletStrings = WalletStringsShape;
