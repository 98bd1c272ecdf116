import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { createNodeTokenVerifier } from "@blindgate/sdk/node";
import {
  type AgeGate,
  createAgeGate,
  type NodeRequestLike,
  nodeRequestToRequest,
  toNodeMiddleware,
} from "@blindgate/sdk/site";
import { build } from "esbuild";
import { escapeHtml, type Lang, listen, negotiateLang, page, type Recorder, send } from "../http.js";
import { SITE_STRINGS } from "./strings.js";

/*
 * The demo site: a small video-chat site, the kind blindgate was started for. A lobby for 13 and over; from it a
 * teens' room for 13 to 17 only (a band: adults hold no token for it) and an adults' room for 18 and over. Each
 * page shows everything the site learned (an age interval, nothing else), and a refusal says only what the site was
 * told: "not proven". A mixed page keeps a section gated at 18 inside an open page (the <age-gate> element).
 *
 * One gate and its require() gates share the issuers, the age session and the proof endpoint (the SDK's node:http
 * middleware serves it): the session records the interval the token proved, and each room's gate reads it. The
 * rooms call gate.check themselves, to answer a refusal with a page a person can act on rather than the bare 401.
 * Old links (/teen: the lobby's age; /adult) are redirected.
 */

export interface DemoSiteOptions {
  port?: number;
  /**
   * Host name browsers use (default 127.0.0.1). Give each party its own (provider.localhost, site.localhost,
   * ...; browsers map *.localhost to loopback): cookies are scoped by host, not port, so parties sharing
   * 127.0.0.1 would receive each other's cookies (the site's age session would reach the provider and gateway).
   */
  publicHost?: string;
  gatewayUrl: string;
  issuerName: string;
  siteKey: string;
  walletUrl: string;
  /** Sees every request the site's server receives (tests). */
  record?: Recorder;
  /** Clock in milliseconds (default Date.now): the end-to-end tests move it with the gateway's. */
  now?: () => number;
}

export interface DemoSite {
  /** The URL browsers use (http://<publicHost>:<port>). */
  readonly url: string;
  /** The URL on 127.0.0.1, for code on this machine. */
  readonly localUrl: string;
  close(): Promise<void>;
}

const CSS = `*{box-sizing:border-box}body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;background:#f8fafc;color:#0f172a;line-height:1.55}
.top{background:#4c1d95;color:#fff}.top .wrap{display:flex;flex-wrap:wrap;align-items:center;gap:.4rem 1.2rem;padding:.75rem 1rem}
.brand{display:flex;align-items:center;gap:.55rem;color:#fff;text-decoration:none}.brand img{width:30px;height:30px}
.brand strong{font-size:1.1rem}.brand span{color:#ddd6fe;font-size:.85rem}
nav{display:flex;flex-wrap:wrap;gap:.3rem 1rem}nav a{color:#ede9fe;text-decoration:none;padding:.15rem 0;border-bottom:2px solid transparent}
nav a:hover,nav a[aria-current=page]{color:#fff;border-bottom-color:#c4b5fd}
.wrap,main{max-width:44rem;margin:0 auto;padding:0 1rem}main{padding-top:1.5rem;padding-bottom:2rem}
h1{font-size:1.6rem;margin:.2rem 0 1rem}h2{font-size:1.15rem}
a{color:#5b21b6}.card{background:#fff;border:1px solid #e2e8f0;border-radius:.8rem;padding:1rem 1.2rem;margin:1rem 0;box-shadow:0 1px 2px rgb(0 0 0 / .05)}
.learned{border-left:4px solid #15803d;background:#f0fdf4;padding:.7rem 1rem;border-radius:.4rem}
.locked{border-left:4px solid #6d28d9;background:#fff;border-radius:.8rem;padding:1rem 1.2rem;box-shadow:0 1px 3px rgb(0 0 0 / .08)}
.locked p:first-child{margin-top:0}
button{font:inherit;font-weight:600;padding:.6rem 1.1rem;border-radius:.5rem;border:1px solid #6d28d9;background:#6d28d9;color:#fff;cursor:pointer}
button:disabled{opacity:.5;cursor:default}button:focus-visible,a:focus-visible{outline:3px solid #c2410c;outline-offset:2px}
.top a:focus-visible{outline-color:#fcd34d}
[role=status]{min-height:1.5rem;color:#9a3412}
ol.how{padding-left:1.3rem}ol.how li{margin:.3rem 0}
a.button{display:inline-block;font-weight:600;padding:.55rem 1.1rem;border-radius:.5rem;background:#6d28d9;color:#fff;text-decoration:none}
ul.rooms{list-style:none;padding:0;display:grid;grid-template-columns:repeat(auto-fit,minmax(15rem,1fr));gap:1rem}ul.rooms .card{margin:0}
ul.tiles{list-style:none;padding:0;display:grid;grid-template-columns:repeat(auto-fit,minmax(9rem,1fr));gap:.6rem}
ul.tiles li{aspect-ratio:4/3;background:#1e1b4b;color:#c7d2fe;border-radius:.6rem;display:flex;flex-direction:column;align-items:center;justify-content:center;gap:.3rem;font-size:.85rem}
ul.tiles li span{font-size:1.6rem;font-weight:700;width:3rem;height:3rem;border-radius:50%;background:#4338ca;color:#fff;display:flex;align-items:center;justify-content:center}
.refusal{border-left:4px solid #b91c1c;background:#fef2f2;padding:.7rem 1rem;border-radius:.4rem}
age-gate{display:block;border:1px dashed #a78bfa;background:#faf5ff;border-radius:.8rem;padding:1rem 1.2rem;margin:1rem 0}
age-gate [part=status]{color:#9a3412}
footer{color:#64748b;font-size:.85rem;text-align:center;padding:1rem}`;

const FAVICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><path d="M10 10h44a6 6 0 0 1 6 6v26a6 6 0 0 1-6 6H28L16 58v-10h-6a6 6 0 0 1-6-6V16a6 6 0 0 1 6-6Z" fill="#6d28d9"/><circle cx="22" cy="29" r="4" fill="#fff"/><circle cx="32" cy="29" r="4" fill="#fff"/><circle cx="42" cy="29" r="4" fill="#fff"/></svg>`;

const clientEntry = fileURLToPath(new URL("./client.ts", import.meta.url));

/** The browser bundle of the site's pages: the SDK's browser part and the page's buttons. */
async function bundleClient(): Promise<Uint8Array> {
  const result = await build({
    entryPoints: [clientEntry],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    conditions: ["blindgate-source"],
    logLevel: "silent",
  });
  const file = result.outputFiles[0];
  if (file === undefined) throw new Error("demo site: empty client bundle");
  return file.contents;
}

/** The site's pages and the ages each asks for (`below` exclusive: 18 means "17 at most"). */
const ROOMS = {
  "/lobby": { from: 13 },
  "/teens": { from: 13, below: 18 },
  "/adults": { from: 18 },
} as const satisfies Record<string, { from: number; below?: number }>;
type RoomPath = keyof typeof ROOMS;

/** Where the pages of the first version of the demo moved. */
const MOVED: Record<string, RoomPath> = { "/teen": "/lobby", "/adult": "/adults" };

export async function startDemoSite(options: DemoSiteOptions): Promise<DemoSite> {
  const client = await bundleClient();
  // A fresh session secret per start: sessions do not outlive the demo.
  const secret = randomBytes(32).toString("base64url");
  const lobby = createAgeGate({
    issuers: { url: options.gatewayUrl, siteKey: options.siteKey, issuerName: options.issuerName },
    minAge: ROOMS["/lobby"].from,
    session: { secret, secure: false, maxAgeSeconds: 900 },
    verifier: createNodeTokenVerifier,
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  const gates: Record<RoomPath, AgeGate> = {
    "/lobby": lobby,
    "/teens": lobby.require({ from: ROOMS["/teens"].from, below: ROOMS["/teens"].below }),
    "/adults": lobby.require(ROOMS["/adults"].from),
  };
  // The proof endpoint of every gate (shared); the mixed page's section behind the adults' gate.
  const proofEndpoint = toNodeMiddleware(lobby);
  const sectionGate = toNodeMiddleware(gates["/adults"]);
  const wallet = escapeHtml(options.walletUrl);
  const html = (lang: Lang, path: string, title: string, body: string) => {
    const S = SITE_STRINGS[lang];
    const link = (href: string, text: string) =>
      `<a href="${href}"${href === path ? ' aria-current="page"' : ""}>${escapeHtml(text)}</a>`;
    return page(title, `<h1>${escapeHtml(title)}</h1>\n${body}`, {
      lang,
      css: "/site.css",
      scripts: ["/blindgate.js"],
      header: `<header class="top"><div class="wrap"><a class="brand" href="/"><img src="/favicon.svg" alt=""><strong>${escapeHtml(S.brand)}</strong><span>${escapeHtml(S.tagline)}</span></a>
<nav>${link("/", S.home)}${link("/lobby", S.lobby)}${link("/teens", S.teens)}${link("/adults", S.adults)}${link("/mixed", S.mixed)}</nav></div></header>`,
      footer: `<footer>${escapeHtml(S.footer)}</footer>`,
    });
  };
  const learned = (lang: Lang, from: number, below?: number) =>
    `<p class="learned" id="learned">${SITE_STRINGS[lang].learned(from, below)}</p>`;
  const locked = (lang: Lang, room: { from: number; below?: number }) =>
    `<div class="locked"><p>${escapeHtml(SITE_STRINGS[lang].locked(room.from, room.below))}</p>
<button type="button" id="prove" data-prove="${room.from}"${room.below === undefined ? "" : ` data-prove-below="${room.below}"`} data-wallet="${wallet}">${escapeHtml(SITE_STRINGS[lang].prove)}</button>
<p id="prove-status" role="status" aria-live="polite"></p></div>`;
  // The room's video tiles: the person (camera off: the demo sends no video) and empty seats.
  const tiles = (lang: Lang) => {
    const S = SITE_STRINGS[lang];
    const seat = (label: string, caption: string) =>
      `<li><span aria-hidden="true">${escapeHtml(label.slice(0, 1))}</span>${escapeHtml(caption)}</li>`;
    return `<ul class="tiles" aria-label="${escapeHtml(S.inRoomTiles)}">${seat(S.you, `${S.you} · ${S.cameraOff}`)}${seat("+", S.emptySeat)}${seat("+", S.emptySeat)}</ul>`;
  };
  const HTML = "text/html; charset=utf-8";

  const server = await listen(
    options.port ?? 0,
    options.record,
    async (req, res, body) => {
      // The body was read (and recorded) by listen(): hand it to the SDK the way an Express body parser would.
      const nodeRequest: typeof req & NodeRequestLike = Object.assign(req, { body });
      const path = new URL(req.url ?? "/", "http://site").pathname;
      if (path === lobby.proofPath) {
        return proofEndpoint(nodeRequest, res, () => {
          throw new Error("unreachable: the proof path is always answered");
        });
      }
      if (req.method !== "GET")
        return send(res, 405, "method not allowed", "text/plain; charset=utf-8", { allow: "GET" });
      const lang = negotiateLang(req.headers["accept-language"]);
      const S = SITE_STRINGS[lang];
      const moved = MOVED[path];
      if (moved !== undefined) return send(res, 308, "", "text/plain; charset=utf-8", { location: moved });
      switch (path) {
        case "/site.css":
          return send(res, 200, CSS, "text/css; charset=utf-8");
        case "/blindgate.js":
          return send(res, 200, client, "text/javascript; charset=utf-8");
        case "/favicon.svg":
          return send(res, 200, FAVICON, "image/svg+xml");
        case "/":
          return send(
            res,
            200,
            html(
              lang,
              path,
              S.homeTitle,
              `<p>${escapeHtml(S.homeIntro)}</p>
<p>${escapeHtml(S.homePrivacy)}</p>
<p><a class="button" href="/lobby">${escapeHtml(S.enterLobby)}</a></p>
<section class="card" aria-labelledby="how"><h2 id="how">${escapeHtml(S.howTitle)}</h2>
<ol class="how"><li>${escapeHtml(S.how1)}</li><li>${escapeHtml(S.how2)}</li><li>${escapeHtml(S.how3)}</li></ol></section>
<p><a href="/mixed">${escapeHtml(S.homeMixed)}</a></p>`,
            ),
            HTML,
          );
        case "/lobby":
        case "/teens":
        case "/adults": {
          const room = ROOMS[path];
          const gate = gates[path];
          const title = path === "/lobby" ? S.lobbyTitle : path === "/teens" ? S.teensTitle : S.adultsTitle;
          const result = await gate.check(await nodeRequestToRequest(nodeRequest, gate.proofPath));
          if (result.ok) {
            // A standard Privacy Pass client may have sent its token in Authorization: keep the session it opened.
            const cookie: Record<string, string> =
              result.setCookie === undefined ? {} : { "set-cookie": result.setCookie };
            const inside =
              path === "/lobby"
                ? `<p>${escapeHtml(S.lobbyIntro)}</p>
<ul class="rooms"><li class="card"><h2>${escapeHtml(S.teensRoom)}</h2><p>${escapeHtml(S.teensRoomText)}</p><a class="button" href="/teens">${escapeHtml(S.enterRoom)}</a></li>
<li class="card"><h2>${escapeHtml(S.adultsRoom)}</h2><p>${escapeHtml(S.adultsRoomText)}</p><a class="button" href="/adults">${escapeHtml(S.enterRoom)}</a></li></ul>`
                : `<p id="in-room">${escapeHtml(S.inRoom)}</p>${tiles(lang)}<p><a href="/lobby">${escapeHtml(S.backToLobby)}</a></p>`;
            return send(
              res,
              200,
              html(lang, path, title, `${learned(lang, result.ageOver, result.ageBelow)}${inside}`),
              HTML,
              cookie,
            );
          }
          // The gate's refusal (401 with its RFC 9577 PrivateToken challenge, or 503 when the gateway is down; a
          // stale session cookie deleted), with a page a person can act on.
          const refusal = result.response.headers;
          const challenge = refusal.get("www-authenticate");
          if (challenge !== null) res.setHeader("www-authenticate", challenge);
          const cookies = refusal.getSetCookie();
          if (cookies.length > 0) res.setHeader("set-cookie", cookies);
          // Someone whose session proves an age beyond the room (an adult at the teens' room) is told so, and
          // offered no button: no proof they hold opens it.
          const adult =
            room === ROOMS["/teens"]
              ? await gates["/adults"].check(await nodeRequestToRequest(nodeRequest, lobby.proofPath))
              : undefined;
          const body =
            adult?.ok === true
              ? `<p class="refusal" id="outside-room">${escapeHtml(S.outsideRoom(adult.ageOver, adult.ageBelow, room))}</p><p><a href="/lobby">${escapeHtml(S.backToLobby)}</a></p>`
              : locked(lang, room);
          return send(res, result.response.status, html(lang, path, title, body), HTML);
        }
        case "/mixed": {
          // The server knows whether an age session is open: without one, the element need not try its section
          // first (a 401 the browser would log); with one, it opens the section at once, without the wallet.
          const session = await gates["/adults"].check(
            await nodeRequestToRequest(nodeRequest, lobby.proofPath),
          );
          return send(
            res,
            200,
            html(
              lang,
              path,
              S.mixedTitle,
              `<p>${escapeHtml(S.mixedOpen)}</p>
<age-gate min-age="18" src="/mixed/section" wallet="${wallet}"${session.ok ? "" : ' session="none"'}></age-gate>`,
            ),
            HTML,
          );
        }
        case "/mixed/section":
          // Without an age session the SDK answers its own 401 (with the PrivateToken challenge); the section's HTML
          // never leaves the server.
          return sectionGate(nodeRequest, res, () =>
            send(
              res,
              200,
              `<section id="adult-section">${learned(lang, nodeRequest.ageOver ?? 0)}<p>${escapeHtml(S.mixedSection)}</p></section>`,
              HTML,
            ),
          );
        default:
          return send(res, 404, html(lang, path, S.notFoundTitle, `<p>${escapeHtml(S.notFound)}</p>`), HTML);
      }
    },
    options.publicHost,
  );
  return { url: server.url, localUrl: server.localUrl, close: server.close };
}
