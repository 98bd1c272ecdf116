import type { Lang } from "../http.js";

/*
 * Every word of the demo site's pages, English and French (the browser part's words come from the SDK). The site
 * learns an age interval and nothing else, and a refusal reaches it as "not proven" only: the words say exactly that.
 */

/** An age interval in words: "over 18" / "13 to 17" (bands: `below` exclusive, shown inclusive). */
const spanEn = (from: number, below?: number) =>
  below === undefined ? `over ${from}` : `${from} to ${below - 1}`;
const spanFr = (from: number, below?: number) =>
  below === undefined ? `${from} ans ou plus` : `entre ${from} et ${below - 1} ans`;

export const SITE_STRINGS = {
  en: {
    brand: "Agora",
    tagline: "video chat rooms, with ages checked blindly",
    home: "Home",
    lobby: "Lobby (13+)",
    teens: "Teens (13–17)",
    adults: "Adults (18+)",
    mixed: "Mixed page",
    homeTitle: "Video chat, by age",
    homeIntro:
      "Agora is a demo video-chat site. The lobby is for people 13 and over. From there, the teens’ room takes only people aged 13 to 17, and the adults’ room only people 18 and over: adults cannot walk into the teens’ room, and children under 13 cannot come in at all.",
    homePrivacy:
      "Agora never learns who you are. Each room asks your blindgate wallet for one anonymous proof, and learns only that you are inside the room’s ages — not your age, not your birth date, not who checked it.",
    enterLobby: "Enter the lobby",
    homeMixed: "The mixed page shows a section gated for adults inside an open page.",
    howTitle: "How it works",
    how1: "A provider checks your age once. It never learns which site asked.",
    how2: "Your browser’s wallet gets anonymous, single-use age tokens from the gateway: “13 or older”, “13 to 17”, “18 or older”…",
    how3: "Each room asks for one token and learns only its answer. If you cannot prove it, the room is told only “not proven”.",
    lobbyTitle: "Lobby",
    lobbyIntro: "Pick a room. Each room checks again: “13 or older” does not tell a teenager from an adult.",
    teensRoom: "Teens’ room",
    teensRoomText: "Ages 13 to 17 only. Adults cannot enter.",
    adultsRoom: "Adults’ room",
    adultsRoomText: "Ages 18 and over only.",
    enterRoom: "Enter",
    teensTitle: "Teens’ room (13–17)",
    adultsTitle: "Adults’ room (18+)",
    mixedTitle: "Mixed page",
    locked: (from: number, below?: number) =>
      below === undefined
        ? `This room is for people ${from} or older. Prove it with your blindgate wallet: this site learns only “${from} or older”, and the provider that checked your age never learns this site.`
        : `This room is only for teenagers aged ${from} to ${below - 1}: adults cannot enter. Prove it with your blindgate wallet: this site learns only “${from} to ${below - 1}”, never your exact age, and the provider that checked your age never learns this site.`,
    outsideRoom: (from: number, below: number | undefined, room: { from: number; below?: number }) =>
      `Your age proof says “${spanEn(from, below)}”: outside this room’s ages, ${spanEn(room.from, room.below)}. This room stays closed to you; the lobby and the rooms for your age are open.`,
    prove: "Prove my age",
    learned: (from: number, below?: number) =>
      `What this site learned about you: <strong>${spanEn(from, below)}</strong>. Nothing else — not your name, not your birth date, not who checked your age.`,
    inRoom: "You are in. This is a demo: your camera stays off and nobody else is here yet.",
    you: "You",
    cameraOff: "Camera off",
    emptySeat: "Empty seat",
    inRoomTiles: "Who is in the room",
    backToLobby: "Back to the lobby",
    mixedOpen: "This part of the page is for everyone.",
    mixedSection: "The adults-only section.",
    notFoundTitle: "Not found",
    notFound: "No such page.",
    footer: "blindgate demo · this site never sees your identity, your birth date or your age-check provider",
  },
  fr: {
    brand: "Agora",
    tagline: "des salons vidéo, âges vérifiés à l’aveugle",
    home: "Accueil",
    lobby: "Hall (13+)",
    teens: "Ados (13–17)",
    adults: "Adultes (18+)",
    mixed: "Page mixte",
    homeTitle: "Le chat vidéo, par âge",
    homeIntro:
      "Agora est un site de chat vidéo de démonstration. Le hall est ouvert à partir de 13 ans. De là, le salon ados n’accepte que les 13–17 ans, et le salon adultes que les 18 ans et plus : un adulte ne peut pas entrer dans le salon ados, et un enfant de moins de 13 ans ne peut pas entrer du tout.",
    homePrivacy:
      "Agora ne sait jamais qui vous êtes. Chaque salon demande à votre portefeuille blindgate une preuve anonyme, et n’apprend que votre appartenance à la tranche d’âge du salon — ni votre âge, ni votre date de naissance, ni qui l’a vérifié.",
    enterLobby: "Entrer dans le hall",
    homeMixed: "La page mixte montre une section réservée aux adultes dans une page ouverte.",
    howTitle: "Comment ça marche",
    how1: "Un prestataire vérifie votre âge une fois. Il ne sait jamais quel site l’a demandé.",
    how2: "Le portefeuille de votre navigateur reçoit de la passerelle des jetons d’âge anonymes, à usage unique : « 13 ans ou plus », « entre 13 et 17 ans », « 18 ans ou plus »…",
    how3: "Chaque salon demande un jeton et n’apprend que sa réponse. Si vous ne pouvez pas le prouver, le salon apprend seulement « non prouvé ».",
    lobbyTitle: "Hall",
    lobbyIntro:
      "Choisissez un salon. Chaque salon vérifie à nouveau : « 13 ans ou plus » ne distingue pas un ado d’un adulte.",
    teensRoom: "Salon ados",
    teensRoomText: "De 13 à 17 ans seulement. Les adultes ne peuvent pas entrer.",
    adultsRoom: "Salon adultes",
    adultsRoomText: "À partir de 18 ans seulement.",
    enterRoom: "Entrer",
    teensTitle: "Salon ados (13–17)",
    adultsTitle: "Salon adultes (18+)",
    mixedTitle: "Page mixte",
    locked: (from: number, below?: number) =>
      below === undefined
        ? `Ce salon est réservé aux personnes de ${from} ans ou plus. Prouvez-le avec votre portefeuille blindgate : ce site n’apprend que « ${from} ans ou plus », et le prestataire qui a vérifié votre âge ne connaît jamais ce site.`
        : `Ce salon est réservé aux ados de ${from} à ${below - 1} ans : les adultes ne peuvent pas entrer. Prouvez-le avec votre portefeuille blindgate : ce site n’apprend que « entre ${from} et ${below - 1} ans », jamais votre âge exact, et le prestataire qui a vérifié votre âge ne connaît jamais ce site.`,
    outsideRoom: (from: number, below: number | undefined, room: { from: number; below?: number }) =>
      `Votre preuve d’âge dit « ${spanFr(from, below)} » : hors des âges de ce salon, ${spanFr(room.from, room.below)}. Ce salon vous reste fermé ; le hall et les salons de votre âge vous sont ouverts.`,
    prove: "Prouver mon âge",
    learned: (from: number, below?: number) =>
      `Ce que ce site a appris sur vous : <strong>${spanFr(from, below)}</strong>. Rien d’autre — ni votre nom, ni votre date de naissance, ni qui a vérifié votre âge.`,
    inRoom: "Vous y êtes. C’est une démo : votre caméra reste coupée et personne d’autre n’est encore là.",
    you: "Vous",
    cameraOff: "Caméra coupée",
    emptySeat: "Place libre",
    inRoomTiles: "Qui est dans le salon",
    backToLobby: "Retour au hall",
    mixedOpen: "Cette partie de la page est ouverte à tous.",
    mixedSection: "La section réservée aux adultes.",
    notFoundTitle: "Page introuvable",
    notFound: "Cette page n’existe pas.",
    footer:
      "démo blindgate · ce site ne voit jamais votre identité, votre date de naissance ni votre prestataire",
  },
} as const satisfies Record<Lang, unknown>;
