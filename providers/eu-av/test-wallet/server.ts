import "reflect-metadata";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { pageLang } from "@blindgate/sdk/site";
import * as z from "zod";
import { closeServer, listenLoopback } from "../../../dev/lambda-http.js";
import { escapeHtml } from "../pages.js";
import {
  annexCAnswer,
  answerRequest,
  createDeviceKey,
  createDocumentSigner,
  createTestIaca,
  type DeviceKey,
  declineRequest,
  issueAttestation,
} from "./holder.js";

/*
 * The local TEST wallet: what `npm start` offers so the whole EU AV path runs on one machine, with no phone and no
 * real attestation. It is labelled as a test on every page. At start it makes a test IACA (the EU AV provider of
 * `npm start` then trusts that one) and issues two test attestations under it, an adult's and a 15-year-old's.
 *
 *   GET  /?request=<link>   a page: the request (an av:// or openid4vp:// link, by value or by reference, or the
 *                           QR code's https short link), then "share as the adult", "as the 15-year-old", "decline"
 *   POST /answer            { request, persona, decline }: resolves the request, answers it by direct_post
 *                           (a DeviceResponse over the OpenID4VP transcript, or access_denied), returns the
 *                           provider's status
 *   POST /dc-api            { origin, requests, persona }: the answer a browser's credential manager would get for
 *                           navigator.credentials.get (org-iso-mdoc, ISO 18013-7 Annex C), for a page of `origin`
 *
 * Same device: the provider's page links here with its av:// request; other device: paste (or, in the browser
 * test, open) the QR code's link in another browser. It only ever fetches loopback hosts (*.localhost, 127.0.0.1):
 * Node does not resolve *.localhost, so those are reached at 127.0.0.1.
 */

export type Persona = "adult" | "teen";
const CLAIMS: Record<Persona, Record<string, boolean>> = {
  adult: { age_over_13: true, age_over_15: true, age_over_16: true, age_over_18: true, age_over_21: true },
  teen: { age_over_13: true, age_over_15: true, age_over_16: false, age_over_18: false, age_over_21: false },
};

export interface TestWalletOptions {
  /** Port (0: any free port). */
  port?: number;
  /** Host name browsers use (default 127.0.0.1). */
  host?: string;
}

export interface TestWallet {
  readonly url: string;
  readonly localUrl: string;
  /** The test IACA: the only issuer a provider needs to trust for this wallet. */
  readonly iacaPem: string;
  close(): Promise<void>;
}

const answerBody = z.strictObject({
  request: z.string().min(8).max(8000),
  persona: z.enum(["adult", "teen"]),
  decline: z.boolean().default(false),
});
const dcApiBody = z.strictObject({
  origin: z.string().max(256),
  persona: z.enum(["adult", "teen"]),
  requests: z.array(z.object({ protocol: z.string(), data: z.unknown() })).max(8),
});
const isoData = z.object({ deviceRequest: z.string().max(20_000), encryptionInfo: z.string().max(2_000) });

/** fetch for loopback hosts only; *.localhost reached at 127.0.0.1. */
const loopback: typeof fetch = (input, init) => {
  const url = new URL(String(input));
  if (url.hostname.endsWith(".localhost") || url.hostname === "localhost") url.hostname = "127.0.0.1";
  if (url.hostname !== "127.0.0.1")
    return Promise.reject(new Error("the test wallet only talks to this machine"));
  return fetch(url, init);
};

/**
 * Start the test wallet, with a test IACA and two test attestations made now.
 *
 * @example
 * ```ts
 * const wallet = await startTestWallet({ port: 8791, host: "eu-av-wallet.localhost" });
 * const euAv = await startEuAvProvider({ ..., trustedIacas: [wallet.iacaPem], testWalletUrl: wallet.url });
 * ```
 */
export async function startTestWallet(options: TestWalletOptions = {}): Promise<TestWallet> {
  const iaca = await createTestIaca({ name: "C=EU, CN=blindgate TEST IACA (local test wallet only)" });
  const signer = await createDocumentSigner(iaca, { name: "C=EU, CN=blindgate TEST document signer" });
  const held = {} as Record<Persona, { device: DeviceKey; mdoc: Uint8Array }>;
  for (const persona of ["adult", "teen"] as const) {
    const device = await createDeviceKey();
    held[persona] = { device, mdoc: await issueAttestation(signer, { device, claims: CLAIMS[persona] }) };
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => refuse(res, 500, "ERR_INTERNAL", "internal error"));
  });
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://local");
    if (req.method === "GET" && url.pathname === "/") {
      const lang = pageLang(req.headers["accept-language"] ?? null);
      return send(res, 200, "text/html; charset=utf-8", page(lang));
    }
    if (req.method === "GET" && url.pathname === "/wallet.js")
      return send(res, 200, "text/javascript", SCRIPT);
    if (req.method === "POST" && url.pathname === "/answer") {
      const body = answerBody.safeParse(await json(req));
      if (!body.success) return refuse(res, 400, "ERR_BAD_REQUEST", "expected { request, persona, decline }");
      const { request, persona, decline } = body.data;
      try {
        const answer = decline
          ? await declineRequest(request, "access_denied", {
              description: "declined in the test wallet",
              fetch: loopback,
            })
          : await answerRequest(request, held[persona].mdoc, held[persona].device, { fetch: loopback });
        return send(
          res,
          200,
          "application/json",
          JSON.stringify({ status: answer.status, body: answer.body }),
        );
      } catch {
        return refuse(res, 422, "ERR_REQUEST_UNREADABLE", "this request could not be read or answered");
      }
    }
    if (req.method === "POST" && url.pathname === "/dc-api") {
      const body = dcApiBody.safeParse(await json(req));
      const iso = body.success ? body.data.requests.find((r) => r.protocol === "org-iso-mdoc") : undefined;
      const data = isoData.safeParse(iso?.data);
      if (!body.success || !data.success) {
        return refuse(
          res,
          400,
          "ERR_BAD_REQUEST",
          "expected { origin, persona, requests } with org-iso-mdoc",
        );
      }
      const { mdoc, device } = held[body.data.persona];
      try {
        const answer = await annexCAnswer(data.data, body.data.origin, mdoc, device);
        return send(res, 200, "application/json", JSON.stringify({ protocol: "org-iso-mdoc", data: answer }));
      } catch {
        return refuse(res, 422, "ERR_REQUEST_UNREADABLE", "this request could not be read or answered");
      }
    }
    return refuse(res, 404, "ERR_NOT_FOUND", "no such route");
  }

  const port = await listenLoopback(server, options.port ?? 0);
  return {
    url: `http://${options.host ?? "127.0.0.1"}:${port}`,
    localUrl: `http://127.0.0.1:${port}`,
    iacaPem: iaca.pem,
    close: () => closeServer(server),
  };
}

async function json(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 64_000) return undefined;
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    return undefined;
  }
}

/** The provider's error shape: { error: { code, message } }, the code also in x-error-code. */
function refuse(res: ServerResponse, status: number, code: string, message: string): void {
  res.setHeader("x-error-code", code);
  send(res, status, "application/json", JSON.stringify({ error: { code, message } }));
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, {
    "content-type": type,
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "content-security-policy":
      "default-src 'none'; script-src 'self'; style-src 'none'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  });
  res.end(body);
}

const STRINGS = {
  en: {
    title: "TEST wallet — EU age verification",
    banner:
      "This is a TEST wallet for local development. Its attestations come from a test issuer made when npm start " +
      "began; they prove nothing about anyone. Never use it for a real check.",
    request: "The request (av://, openid4vp:// or the QR code's link)",
    adult: "Share as the adult (30)",
    teen: "Share as the 15-year-old",
    decline: "Decline",
    sent: "Answered ({status}). Go back to the verification page.",
    declined: "Declined. Go back to the verification page.",
    failed: "This request could not be answered ({status}).",
  },
  fr: {
    title: "Portefeuille de TEST — vérification d’âge européenne",
    banner:
      "Ceci est un portefeuille de TEST pour le développement local. Ses attestations viennent d’un émetteur de " +
      "test créé au lancement de npm start ; elles ne prouvent rien sur personne. Ne l’utilisez jamais pour une " +
      "vraie vérification.",
    request: "La requête (av://, openid4vp:// ou le lien du code QR)",
    adult: "Partager en tant qu’adulte (30 ans)",
    teen: "Partager en tant qu’adolescent de 15 ans",
    decline: "Refuser",
    sent: "Réponse envoyée ({status}). Revenez à la page de vérification.",
    declined: "Refusé. Revenez à la page de vérification.",
    failed: "Cette requête n’a pas pu recevoir de réponse ({status}).",
  },
} as const;

function page(lang: "en" | "fr"): string {
  const t = STRINGS[lang];
  const msgs = (["sent", "declined", "failed"] as const)
    .map((k) => `data-msg-${k}="${escapeHtml(t[k])}"`)
    .join(" ");
  return `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(t.title)}</title><script src="wallet.js" defer></script></head>
<body><main id="test-wallet" ${msgs}>
<p id="test-wallet-banner" role="note"><strong>TEST</strong> — ${escapeHtml(t.banner)}</p>
<h1>${escapeHtml(t.title)}</h1>
<label for="test-wallet-request">${escapeHtml(t.request)}</label>
<textarea id="test-wallet-request" rows="4" cols="60"></textarea>
<p><button type="button" id="test-wallet-adult">${escapeHtml(t.adult)}</button>
<button type="button" id="test-wallet-teen">${escapeHtml(t.teen)}</button>
<button type="button" id="test-wallet-decline">${escapeHtml(t.decline)}</button></p>
<p id="test-wallet-status" role="status"></p>
</main></body></html>`;
}

const SCRIPT = `"use strict";
const d = document.getElementById("test-wallet").dataset;
const field = document.getElementById("test-wallet-request");
const status = document.getElementById("test-wallet-status");
field.value = new URLSearchParams(location.search).get("request") || "";
async function answer(persona, decline) {
  const r = await fetch("answer", { method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ request: field.value.trim(), persona, decline }) });
  const body = await r.json().catch(() => ({}));
  const code = String(body.status || r.status);
  status.dataset.result = r.ok && body.status === 200 ? (decline ? "declined" : "sent") : "failed";
  status.textContent = (r.ok && body.status === 200 ? (decline ? d.msgDeclined : d.msgSent) : d.msgFailed).replace("{status}", code);
}
document.getElementById("test-wallet-adult").onclick = () => answer("adult", false);
document.getElementById("test-wallet-teen").onclick = () => answer("teen", false);
document.getElementById("test-wallet-decline").onclick = () => answer("adult", true);
`;
