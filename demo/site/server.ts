import { randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { fileURLToPath } from "node:url";
import { createNodeTokenVerifier } from "@blindgate/sdk/node";
import { type AgeGate, createAgeGate } from "@blindgate/sdk/site";
import { build } from "esbuild";
import { escapeHtml, listen, page, type Recorder, send } from "../http.js";

/*
 * The demo site: what a video-chat or adult site does with the site SDK. An open page, a page gated at 13, one
 * at 18, and an open page with a section gated at 18 (the section's HTML is only served after a proof). Each gated
 * page shows everything the site learned: "over N", and nothing else.
 *
 * One proof endpoint (the SDK's default path) serves every gate: the session cookie records the threshold the
 * token proved, and each gate reads it.
 */

export interface DemoSiteOptions {
  port?: number;
  gatewayUrl: string;
  issuerName: string;
  siteKey: string;
  walletUrl: string;
  /** Sees every request the site's server receives (tests). */
  record?: Recorder;
}

export interface DemoSite {
  readonly url: string;
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

function toRequest(req: IncomingMessage, body: Buffer, origin: string): Request {
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    for (const value of Array.isArray(v) ? v : [v]) headers.append(k, value);
  }
  const method = req.method ?? "GET";
  return new Request(new URL(req.url ?? "/", origin), {
    method,
    headers,
    ...(method === "GET" || method === "HEAD" ? {} : { body: new Uint8Array(body) }),
  });
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
<button type="button" id="prove" data-prove="${minAge}" data-wallet="${wallet}">Prove I am ${minAge} or older</button>
<p id="prove-status" role="status" aria-live="polite"></p></div>`;

  const server = await listen(options.port ?? 0, options.record, async (req, res, body) => {
    const request = toRequest(req, body, "http://127.0.0.1");
    const path = new URL(request.url).pathname;
    const reply = async (response: Response) => {
      const headers: Record<string, string> = {};
      response.headers.forEach((v, k) => {
        if (k !== "set-cookie") headers[k] = v;
      });
      const cookies = response.headers.getSetCookie();
      if (cookies.length > 0) res.setHeader("set-cookie", cookies);
      send(
        res,
        response.status,
        new Uint8Array(await response.arrayBuffer()),
        headers["content-type"] ?? "text/plain",
        headers,
      );
    };

    if (path === gate(13).proofPath) return reply(await gate(13).handleProof(request));
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
        const result = await gate(minAge).check(request);
        if (result.ok) {
          // A standard Privacy Pass client may have sent its token in Authorization: keep the session it opened.
          const cookie: Record<string, string> =
            result.setCookie === undefined ? {} : { "set-cookie": result.setCookie };
          return send(
            res,
            200,
            html(minAge === 13 ? "Teen room" : "Adult room", `${learned(result.ageOver)}<p>Welcome in.</p>`),
            "text/html; charset=utf-8",
            cookie,
          );
        }
        // The gate's refusal (401 with its RFC 9577 PrivateToken challenge, or 503 when the gateway is down),
        // with a page a person can act on.
        const headers: Record<string, string> = {};
        const challenge = result.response.headers.get("www-authenticate");
        if (challenge !== null) headers["www-authenticate"] = challenge;
        return send(
          res,
          result.response.status,
          html(minAge === 13 ? "Teen room" : "Adult room", locked(minAge)),
          "text/html; charset=utf-8",
          headers,
        );
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
      case "/mixed/section": {
        const result = await gate(18).check(request);
        if (!result.ok) return send(res, result.response.status, "", "text/html; charset=utf-8");
        return send(
          res,
          200,
          `<section id="adult-section">${learned(result.ageOver)}<p>The adults-only section.</p></section>`,
          "text/html; charset=utf-8",
        );
      }
      default:
        return send(res, 404, html("Not found", "<p>No such page.</p>"), "text/html; charset=utf-8");
    }
  });
  return { url: server.url, close: server.close };
}
