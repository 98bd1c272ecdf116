import "../../support/reflect-metadata.js";
import { randomUUID } from "node:crypto";
import { generateGrantKey } from "@blindgate/sdk/provider";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { encode } from "uqr";
import { beforeAll, describe, expect, it } from "vitest";
import { lambdaContext } from "../../../dev/lambda-http.js";
import { parseEuAvConfig } from "../../../providers/eu-av/config.js";
import { createEuAvHandler } from "../../../providers/eu-av/handler.js";
import { escapeHtml, PAGE_HEADERS } from "../../../providers/eu-av/pages.js";
import { QR_QUIET_ZONE, qrCode } from "../../../providers/eu-av/qr.js";
import { WindowRateLimiter } from "../../../providers/eu-av/rate-limit.js";
import { MemorySessionStore } from "../../../providers/eu-av/sessions.js";
import { PAGE_LANGS, PAGE_STRINGS } from "../../../providers/eu-av/strings.js";
import { parseTrustedIacas } from "../../../providers/eu-av/trust.js";
import { createTestIaca } from "../../support/eu-av-holder.js";

/*
 * The verify page's QR code (the cross-device request): drawn on the server as inline SVG for the openid4vp://
 * URI the page also links and shows, labelled in English and in French, under the unchanged strict CSP (no inline
 * script or style, no data: image). Nothing is decoded as a QR code; the SVG's path is read back into modules and
 * compared with the QR matrix of the same URI, so the drawing is the code's matrix, module for module.
 */

const WALLET = "https://wallet.example";
let handler: ReturnType<typeof createEuAvHandler>;

beforeAll(async () => {
  const iaca = await createTestIaca();
  handler = createEuAvHandler({
    config: parseEuAvConfig({
      providerId: "eu-av",
      gatewayIssuer: "gateway.example",
      walletOrigins: [WALLET],
      publicUrl: "https://eu-av.example",
    }),
    trust: parseTrustedIacas([iaca.pem]),
    sessions: new MemorySessionStore(),
    grantKey: await generateGrantKey(),
    sessionLimiter: new WindowRateLimiter({ limit: 100, windowSeconds: 60 }),
    now: () => new Date(),
  });
});

/** The dark modules an SVG path of `M x y h n v1 h-n z` runs draws. */
function modulesOf(path: string, size: number): boolean[][] {
  const grid = Array.from({ length: size }, () => Array.from({ length: size }, () => false));
  const runs = [...path.matchAll(/M(\d+) (\d+)h(\d+)v1h-(\d+)z/g)];
  expect(runs.map((r) => r[0]).join("")).toBe(path); // nothing else in the path
  for (const [, x, y, n, back] of runs) {
    expect(back).toBe(n);
    for (let i = 0; i < Number(n); i++) {
      const row = grid[Number(y)];
      if (row === undefined || Number(x) + i >= size) throw new Error("run outside the grid");
      row[Number(x) + i] = true;
    }
  }
  return grid;
}

describe("qrCode", () => {
  it("draws the QR matrix of the text exactly, with a 4-module quiet zone", () => {
    const text = `openid4vp://?client_id=redirect_uri%3Ahttps%3A%2F%2Feu-av.example%2Fresponse&nonce=${"n".repeat(22)}`;
    const { size, path } = qrCode(text);
    const matrix = encode(text, { ecc: "M", border: QR_QUIET_ZONE });
    expect(size).toBe(matrix.size);
    expect(size).toBe(matrix.version * 4 + 17 + 2 * QR_QUIET_ZONE);
    expect(modulesOf(path, size)).toEqual(matrix.data);
    for (let i = 0; i < QR_QUIET_ZONE; i++) {
      expect(matrix.data[i]?.some(Boolean)).toBe(false);
      expect(matrix.data.some((row) => row[i])).toBe(false);
    }
    expect(qrCode(`${text}x`).path).not.toBe(path);
  });
});

const context = lambdaContext("eu-av");

function event(
  method: string,
  path: string,
  query: Record<string, string>,
  acceptLanguage?: string,
  body?: string,
) {
  return {
    version: "2.0",
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: new URLSearchParams(query).toString(),
    headers: {
      host: "eu-av.example",
      ...(acceptLanguage !== undefined ? { "accept-language": acceptLanguage } : {}),
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
    },
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    requestContext: {
      http: { method, path, protocol: "HTTP/1.1", sourceIp: "192.0.2.1", userAgent: "test" },
    },
    ...(body !== undefined ? { body } : {}),
    isBase64Encoded: false,
  } as unknown as APIGatewayProxyEventV2;
}

async function openPage(acceptLanguage?: string) {
  const state = randomUUID().replace(/-/g, "");
  const res = (await handler(
    event("GET", "/verify", { wallet_origin: WALLET, state }, acceptLanguage),
    context,
  )) as APIGatewayProxyStructuredResultV2;
  expect(res.statusCode).toBe(200);
  const opened = (await handler(
    event("POST", "/session", {}, acceptLanguage, JSON.stringify({ wallet_origin: WALLET, state })),
    context,
  )) as APIGatewayProxyStructuredResultV2;
  expect(opened.statusCode).toBe(200);
  const session = JSON.parse(opened.body ?? "") as {
    links: { av: string; openid4vp: string; byReference: string; crossDevice: string };
    qr: { size: number; path: string; version: number };
  };
  return { res, html: res.body ?? "", session };
}

describe.each([
  { lang: "en", header: "en-GB,en;q=0.9" },
  { lang: "fr", header: "fr-FR,fr;q=0.9,en;q=0.8" },
  { lang: "en", header: undefined },
] as const)("the verify page, Accept-Language $header", ({ lang, header }) => {
  it(`draws the QR code of the short link, labelled in ${lang}, under the strict CSP`, async () => {
    const { res, html, session } = await openPage(header);
    const t = PAGE_STRINGS[lang];
    expect(html).toContain(`<html lang="${lang}">`);
    expect(res.headers?.["content-language"]).toBe(lang);
    expect(res.headers?.vary).toBe("Accept-Language");

    // The session's QR code is the matrix of its short link, which leads to the av:// request.
    const { crossDevice } = session.links;
    expect(crossDevice).toMatch(/^https:\/\/eu-av\.example\/r\/[A-Za-z0-9_-]{22}$/);
    const expected = encode(crossDevice, { ecc: "M", border: QR_QUIET_ZONE });
    expect(session.qr.size).toBe(expected.size);
    expect(session.qr.version).toBe(expected.version);
    expect(session.qr.version).toBeLessThanOrEqual(4);
    expect(modulesOf(session.qr.path, session.qr.size)).toEqual(expected.data);
    // the page carries the label the script puts on the drawing
    expect(html).toContain(`data-msg-qr-alt="${escapeHtml(t.qrAlt)}"`);

    // CSP: as strict as before, and nothing on the page needs more.
    expect(res.headers?.["content-security-policy"]).toBe(PAGE_HEADERS["content-security-policy"]);
    expect(PAGE_HEADERS["content-security-policy"]).not.toMatch(/unsafe-|data:|\*/);
    expect(html.match(/<script\b[^>]*>/g)).toEqual(['<script src="page.js" defer>']);
    expect(html).not.toMatch(/\sstyle=|<style|\son[a-z]+=|data:/i);
    // the way back to the wallet
    expect(html).toContain(`id="eu-av-back" class="back" href="${WALLET}/">${escapeHtml(t.back)}</a>`);
  });
});

it("the two languages label the QR code differently, and every string exists in both", () => {
  expect(PAGE_LANGS).toEqual(["en", "fr"]);
  expect(PAGE_STRINGS.fr.qrAlt).not.toBe(PAGE_STRINGS.en.qrAlt);
  expect(Object.keys(PAGE_STRINGS.fr).sort()).toEqual(Object.keys(PAGE_STRINGS.en).sort());
  for (const lang of PAGE_LANGS) {
    for (const key of ["refused", "gone", "dcRefused"] as const)
      expect(PAGE_STRINGS[lang][key]).toContain("{code}");
  }
});
