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
import { escapeHtml, listen, page, type Recorder, send } from "../http.js";

/*
 * The demo site: what a video-chat or adult site does with the site SDK. An open page, a page gated at 13, one
 * at 18, and an open page with a section gated at 18 (the section's HTML is only served after a proof). Each gated
 * page shows everything the site learned: "over N", and nothing else.
 *
 * The SDK's node:http middleware (toNodeMiddleware) serves the proof endpoint and gates the section; the two rooms
 * call gate.check themselves, to answer a refusal with a page a person can act on rather than the bare 401.
 * One proof endpoint (the SDK's default path, served by the 13 gate so any valid token opens a session) serves
 * every gate: the session cookie records the threshold the token proved, and each gate reads it.
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
}

export interface DemoSite {
  /** The URL browsers use (http://<publicHost>:<port>). */
  readonly url: string;
  /** The URL on 127.0.0.1, for code on this machine. */
  readonly localUrl: string;
  close(): Promise<void>;
}

const CSS = `body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;line-height:1.5}
nav a{margin-right:1rem}.learned{border-left:4px solid #15803d;background:#f0fdf4;padding:.5rem 1rem}
.locked{border-left:4px solid #b45309;background:#fffbeb;padding:.5rem 1rem}button{font-size:1rem;padding:.4rem .8rem}
age-gate{display:block;border:1px dashed #999;padding:1rem;margin:1rem 0}`;

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

export async function startDemoSite(options: DemoSiteOptions): Promise<DemoSite> {
  const client = await bundleClient();
  // A fresh session secret per start: sessions do not outlive the demo.
  const secret = randomBytes(32).toString("base64url");
  const gates = new Map<number, AgeGate>(
    [13, 18].map((minAge) => [
      minAge,
      createAgeGate({
        issuers: { url: options.gatewayUrl, siteKey: options.siteKey, issuerName: options.issuerName },
        minAge,
        session: { secret, secure: false, maxAgeSeconds: 900 },
        verifier: createNodeTokenVerifier,
      }),
    ]),
  );
  const gate = (minAge: number) => gates.get(minAge) as AgeGate;
  // The proof endpoint: tokens of any threshold the site knows (13 and up) open a session for that threshold.
  const proofEndpoint = toNodeMiddleware(gate(13));
  const sectionGate = toNodeMiddleware(gate(18));
  const wallet = escapeHtml(options.walletUrl);
  const nav = `<nav><a href="/">Home</a><a href="/teen">Teen room (13+)</a><a href="/adult">Adult room (18+)</a><a href="/mixed">Mixed page</a></nav>`;
  const html = (title: string, body: string) =>
    page(title, `${nav}\n<h1>${escapeHtml(title)}</h1>\n${body}`, {
      css: "/site.css",
      scripts: ["/blindgate.js"],
    });
  const learned = (ageOver: number) =>
    `<p class="learned" id="learned">What this site learned about you: <strong>over ${ageOver}</strong>. Nothing else — not your name, not your birth date, not who checked your age.</p>`;
  const locked = (minAge: number) =>
    `<div class="locked"><p>This room is for people ${minAge} or older. Prove it with your blindgate wallet: the site learns only "over ${minAge}", and the provider that checked your age never learns this site.</p>
<button type="button" id="prove" data-prove="${minAge}" data-wallet="${wallet}">Prove my age</button>
<p id="prove-status" role="status" aria-live="polite"></p></div>`;

  const server = await listen(
    options.port ?? 0,
    options.record,
    async (req, res, body) => {
      // The body was read (and recorded) by listen(): hand it to the SDK the way an Express body parser would.
      const nodeRequest: typeof req & NodeRequestLike = Object.assign(req, { body });
      const path = new URL(req.url ?? "/", "http://site").pathname;
      if (path === gate(13).proofPath) {
        return proofEndpoint(nodeRequest, res, () => {
          throw new Error("unreachable: the proof path is always answered");
        });
      }
      if (req.method !== "GET")
        return send(res, 405, "method not allowed", "text/plain; charset=utf-8", { allow: "GET" });
      switch (path) {
        case "/site.css":
          return send(res, 200, CSS, "text/css; charset=utf-8");
        case "/blindgate.js":
          return send(res, 200, client, "text/javascript; charset=utf-8");
        case "/":
          return send(
            res,
            200,
            html(
              "Demo site",
              `<p>An open page: anyone may read it. Try the <a href="/teen">teen room</a> (13+), the <a href="/adult">adult room</a> (18+), or the <a href="/mixed">mixed page</a>, whose last section is for adults.</p>`,
            ),
            "text/html; charset=utf-8",
          );
        case "/teen":
        case "/adult": {
          const minAge = path === "/teen" ? 13 : 18;
          const title = minAge === 13 ? "Teen room" : "Adult room";
          const result = await gate(minAge).check(
            await nodeRequestToRequest(nodeRequest, gate(minAge).proofPath),
          );
          if (result.ok) {
            // A standard Privacy Pass client may have sent its token in Authorization: keep the session it opened.
            const cookie: Record<string, string> =
              result.setCookie === undefined ? {} : { "set-cookie": result.setCookie };
            return send(
              res,
              200,
              html(title, `${learned(result.ageOver)}<p>Welcome in.</p>`),
              "text/html; charset=utf-8",
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
          return send(res, result.response.status, html(title, locked(minAge)), "text/html; charset=utf-8");
        }
        case "/mixed":
          return send(
            res,
            200,
            html(
              "Mixed page",
              `<p>This part of the page is for everyone.</p>
<age-gate min-age="18" src="/mixed/section" wallet="${wallet}"></age-gate>`,
            ),
            "text/html; charset=utf-8",
          );
        case "/mixed/section":
          // Without an age session the SDK answers its own 401 (with the PrivateToken challenge); the section's HTML
          // never leaves the server.
          return sectionGate(nodeRequest, res, () =>
            send(
              res,
              200,
              `<section id="adult-section">${learned(nodeRequest.ageOver ?? 0)}<p>The adults-only section.</p></section>`,
              "text/html; charset=utf-8",
            ),
          );
        default:
          return send(res, 404, html("Not found", "<p>No such page.</p>"), "text/html; charset=utf-8");
      }
    },
    options.publicHost,
  );
  return { url: server.url, localUrl: server.localUrl, close: server.close };
}
