import type { Lang } from "../http.js";

/* Every word of the demo site's pages, English and French (the browser part's words come from the SDK). */

export const SITE_STRINGS = {
  en: {
    brand: "Demo site",
    tagline: "an example site gated with blindgate",
    home: "Home",
    teen: "Teen room (13+)",
    adult: "Adult room (18+)",
    mixed: "Mixed page",
    homeTitle: "Demo site",
    homeIntro:
      "An open page: anyone may read it. This site keeps children out of some rooms without ever learning who its visitors are.",
    homeTry: "Try the rooms:",
    homeTeen: "the teen room, for 13 and over;",
    homeAdult: "the adult room, for 18 and over;",
    homeMixed: "the mixed page, whose last section is for adults.",
    howTitle: "How it works",
    how1: "A provider checks your age once. It never learns which site asked.",
    how2: "Your browser’s wallet gets anonymous, single-use age tokens from the gateway.",
    how3: "This site asks for one token and learns only “13 or older” or “18 or older”. Nothing else.",
    teenTitle: "Teen room",
    adultTitle: "Adult room",
    mixedTitle: "Mixed page",
    locked: (age: number) =>
      `This room is for people ${age} or older. Prove it with your blindgate wallet: this site learns only “${age} or older”, and the provider that checked your age never learns this site.`,
    prove: "Prove my age",
    learned: (age: number) =>
      `What this site learned about you: <strong>over ${age}</strong>. Nothing else — not your name, not your birth date, not who checked your age.`,
    welcome: "Welcome in.",
    mixedOpen: "This part of the page is for everyone.",
    mixedSection: "The adults-only section.",
    notFoundTitle: "Not found",
    notFound: "No such page.",
    footer: "blindgate demo · this site never sees your identity, your birth date or your age-check provider",
  },
  fr: {
    brand: "Site de démonstration",
    tagline: "un site d’exemple protégé par blindgate",
    home: "Accueil",
    teen: "Salon ados (13+)",
    adult: "Salon adultes (18+)",
    mixed: "Page mixte",
    homeTitle: "Site de démonstration",
    homeIntro:
      "Une page ouverte : tout le monde peut la lire. Ce site tient les enfants à l’écart de certains salons sans jamais savoir qui sont ses visiteurs.",
    homeTry: "Essayez les salons :",
    homeTeen: "le salon ados, à partir de 13 ans ;",
    homeAdult: "le salon adultes, à partir de 18 ans ;",
    homeMixed: "la page mixte, dont la dernière section est réservée aux adultes.",
    howTitle: "Comment ça marche",
    how1: "Un prestataire vérifie votre âge une fois. Il ne sait jamais quel site l’a demandé.",
    how2: "Le portefeuille de votre navigateur reçoit de la passerelle des jetons d’âge anonymes, à usage unique.",
    how3: "Ce site demande un jeton et n’apprend que « 13 ans ou plus » ou « 18 ans ou plus ». Rien d’autre.",
    teenTitle: "Salon ados",
    adultTitle: "Salon adultes",
    mixedTitle: "Page mixte",
    locked: (age: number) =>
      `Ce salon est réservé aux personnes de ${age} ans ou plus. Prouvez-le avec votre portefeuille blindgate : ce site n’apprend que « ${age} ans ou plus », et le prestataire qui a vérifié votre âge ne connaît jamais ce site.`,
    prove: "Prouver mon âge",
    learned: (age: number) =>
      `Ce que ce site a appris sur vous : <strong>${age} ans ou plus</strong>. Rien d’autre — ni votre nom, ni votre date de naissance, ni qui a vérifié votre âge.`,
    welcome: "Bienvenue.",
    mixedOpen: "Cette partie de la page est ouverte à tous.",
    mixedSection: "La section réservée aux adultes.",
    notFoundTitle: "Page introuvable",
    notFound: "Cette page n’existe pas.",
    footer:
      "démo blindgate · ce site ne voit jamais votre identité, votre date de naissance ni votre prestataire",
  },
} as const satisfies Record<Lang, unknown>;
