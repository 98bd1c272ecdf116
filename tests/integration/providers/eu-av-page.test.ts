import "../../support/reflect-metadata.js";
import { randomUUID } from "node:crypto";
import { generateGrantKey } from "@blindgate/sdk/provider";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { encode } from "uqr";
import { beforeAll, describe, expect, it } from "vitest";
import { lambdaContext } from "../../../dev/lambda-http.js";
import { parseEuAvConfig } from "../../../providers/eu-av/config.js";
import { createEuAvHandler } from "../../../providers/eu-av/handler.js";
import { escapeHtml, PAGE_HEADERS, qrSvg } from "../../../providers/eu-av/pages.js";
import { QR_QUIET_ZONE, qrCode } from "../../../providers/eu-av/qr.js";
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

  it("the SVG carries its label as role=img, aria-label and <title>, escaped", () => {
    const svg = qrSvg("openid4vp://?a=1", `QR "code" <of> the request & more`);
    const label = "QR &#34;code&#34; &#60;of&#62; the request &#38; more";
    expect(svg).toMatch(
      /^<svg id="eu-av-qr" xmlns="http:\/\/www\.w3\.org\/2000\/svg" viewBox="0 0 (\d+) \1"/,
    );
    expect(svg).toContain(`role="img" aria-label="${label}"><title>${label}</title>`);
    expect(svg.endsWith("</svg>")).toBe(true);
  });
});

const context = lambdaContext("eu-av");

async function openPage(acceptLanguage?: string) {
  const state = randomUUID().replace(/-/g, "");
  const event = {
    version: "2.0",
    routeKey: "GET /verify",
    rawPath: "/verify",
    rawQueryString: `wallet_origin=${encodeURIComponent(WALLET)}&state=${state}`,
    headers: {
      host: "eu-av.example",
      ...(acceptLanguage !== undefined ? { "accept-language": acceptLanguage } : {}),
    },
    queryStringParameters: { wallet_origin: WALLET, state },
    requestContext: {
      http: {
        method: "GET",
        path: "/verify",
        protocol: "HTTP/1.1",
        sourceIp: "192.0.2.1",
        userAgent: "test",
      },
    },
    isBase64Encoded: false,
  } as unknown as APIGatewayProxyEventV2;
  const res = (await handler(event, context)) as APIGatewayProxyStructuredResultV2;
  expect(res.statusCode).toBe(200);
  return { res, html: res.body ?? "" };
}

const unescapeHtml = (s: string) => s.replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)));

describe.each([
  { lang: "en", header: "en-GB,en;q=0.9" },
  { lang: "fr", header: "fr-FR,fr;q=0.9,en;q=0.8" },
  { lang: "en", header: undefined },
] as const)("the verify page, Accept-Language $header", ({ lang, header }) => {
  it(`shows the openid4vp:// request as a QR code labelled in ${lang}, under the strict CSP`, async () => {
    const { res, html } = await openPage(header);
    const t = PAGE_STRINGS[lang];
    expect(html).toContain(`<html lang="${lang}">`);
    expect(res.headers?.["content-language"]).toBe(lang);
    expect(res.headers?.vary).toBe("Accept-Language");

    // The same request in the link, the text area and the QR code.
    const link = unescapeHtml(/<a id="eu-av-same-device" href="([^"]*)"/.exec(html)?.[1] ?? "");
    const text = unescapeHtml(/<textarea id="eu-av-request"[^>]*>([^<]*)<\/textarea>/.exec(html)?.[1] ?? "");
    expect(link).toMatch(/^openid4vp:\/\/\?/);
    expect(new URL(link).searchParams.get("client_id")).toBe("redirect_uri:https://eu-av.example/response");
    expect(text).toBe(link);
    const svg = /<svg id="eu-av-qr"[\s\S]*?<\/svg>/.exec(html)?.[0] ?? "";
    expect(svg).toBe(qrSvg(link, t.qrAlt));
    const label = escapeHtml(t.qrAlt);
    expect(svg).toContain(`role="img" aria-label="${label}"><title>${label}</title>`);

    // CSP: as strict as before, and nothing on the page needs more.
    expect(res.headers?.["content-security-policy"]).toBe(PAGE_HEADERS["content-security-policy"]);
    expect(PAGE_HEADERS["content-security-policy"]).not.toMatch(/unsafe-|data:|\*/);
    expect(html.match(/<script\b[^>]*>/g)).toEqual(['<script src="page.js" defer>']);
    expect(html).not.toMatch(/\sstyle=|<style|\son[a-z]+=|data:/i);
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
