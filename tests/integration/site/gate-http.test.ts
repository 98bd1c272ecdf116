import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  buildDirectory,
  DIRECTORY_PATH,
  fromBase64Url,
  type GatewayErrorCode,
  gatewayErrorAnswer,
  toHex,
} from "@blindgate/sdk/protocol/internal";
import { createAgeGate, type NodeRequestLike, toNodeMiddleware } from "@blindgate/sdk/site";
import { AuthorizationHeader, publicVerif, WWWAuthenticateHeader } from "@cloudflare/privacypass-ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/*
 * Over real sockets: a site server (node:http + toNodeMiddleware, default WebCrypto verifier, global fetch) in front
 * of an HTTP issuer stand-in that serves an RFC 9578 directory and blindgate's /v1/check, blind-signing with a
 * standard issuer (privacypass-ts). A standard client walks the RFC 9577 flow against the site.
 *
 * The stand-in is to be replaced by functions/local startLocalGateway (the real gateway) once it exists.
 */

const { BlindRSAMode, Client, Issuer, getPublicKeyBytes } = publicVerif;
const SITE_KEY = "integration-site-key";

interface Key {
  ageOver: number;
  pair: CryptoKeyPair;
  spki: Uint8Array;
  keyId: string;
}

let keys: Key[];
let gatewayServer: Server;
let siteServer: Server;
let gatewayUrl: string;
let siteUrl: string;
const spent = new Set<string>();
let checks = 0;
/** What the gate told its operator. */
const logged: string[] = [];

async function listen(server: Server): Promise<string> {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  let text = "";
  for await (const chunk of req) text += String(chunk);
  return JSON.parse(text);
}

function gateway(req: IncomingMessage, res: ServerResponse): void {
  const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { "Content-Type": "application/json", ...headers });
    res.end(JSON.stringify(body));
  };
  // Refusals exactly as the real gateway shapes them: the contract's status for each code.
  const refuse = (code: GatewayErrorCode, message: string) => {
    const answer = gatewayErrorAnswer(code, message);
    reply(answer.status, answer.body);
  };
  if (req.url === DIRECTORY_PATH) {
    const now = Math.floor(Date.now() / 1000);
    const tokenKeys = keys.map((k) => ({
      tokenType: 2,
      tokenKey: k.spki,
      ageOver: k.ageOver,
      notBefore: now - 60,
      notAfter: now + 86400,
    }));
    reply(200, buildDirectory({ issuerRequestUri: "/token-request", tokenKeys }), {
      "Cache-Control": "max-age=60",
    });
    return;
  }
  if (req.url === "/v1/check" && req.method === "POST") {
    if (req.headers.authorization !== `Bearer ${SITE_KEY}`) {
      refuse("ERR_SITE_KEY_INVALID", "unknown site API key");
      return;
    }
    void readJson(req).then((body) => {
      checks++;
      const { token, minAge } = body as { token: string; minAge: number };
      const bytes = fromBase64Url(token);
      const key = keys.find((k) => k.keyId === toHex(bytes.subarray(66, 98)));
      const nonce = toHex(bytes.subarray(2, 34));
      if (key === undefined) {
        refuse("ERR_TOKEN_UNKNOWN_KEY", "no key accepted now signed this token");
      } else if (key.ageOver < minAge) {
        refuse("ERR_TOKEN_BELOW_AGE", "below the age asked");
      } else if (spent.has(nonce)) {
        refuse("ERR_TOKEN_SPENT", "this token was used already");
      } else {
        spent.add(nonce);
        reply(200, {
          valid: true,
          ageOver: key.ageOver,
          issuer: new URL(gatewayUrl).host,
          keyExpiresAt: "2030-01-01T00:00:00Z",
        });
      }
    });
    return;
  }
  refuse("ERR_NOT_FOUND", "no such route");
}

beforeAll(async () => {
  keys = [];
  for (const ageOver of [16, 18]) {
    const pair = await Issuer.generateKey(BlindRSAMode.PSS, {
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
    });
    const spki = await getPublicKeyBytes(pair.publicKey);
    const keyId = toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", new Uint8Array(spki))));
    keys.push({ ageOver, pair, spki, keyId });
  }
  gatewayServer = createServer(gateway);
  gatewayUrl = await listen(gatewayServer);

  const gate = createAgeGate({
    // A plain RFC 9578 issuer with a check route and no key log: the gate is told so.
    issuers: { url: gatewayUrl, siteKey: SITE_KEY, keyLog: false },
    minAge: 18,
    session: { secret: "integration-session-secret-32-bytes-long!", secure: false },
    timeoutMs: 2000,
    logger: {
      warn: (message) => logged.push(message),
      error: (message) => logged.push(message),
    },
  });
  const ageGate = toNodeMiddleware(gate);
  siteServer = createServer((req, res) => {
    void ageGate(req, res, () => {
      res.setHeader("Content-Type", "text/plain");
      res.end(`adult content for over ${(req as IncomingMessage & NodeRequestLike).ageOver}`);
    });
  });
  siteUrl = await listen(siteServer);
});

afterAll(async () => {
  siteServer.close();
  if (gatewayServer.listening) gatewayServer.close();
  await once(siteServer, "close");
});

async function tokenFor(challengeHeader: string) {
  const [header] = WWWAuthenticateHeader.parse(challengeHeader);
  if (header === undefined) throw new Error("no challenge");
  const key = keys.find((k) => Buffer.from(k.spki).equals(Buffer.from(header.tokenKey)));
  if (key === undefined) throw new Error("challenge pins an unknown key");
  const client = new Client(BlindRSAMode.PSS);
  const request = await client.createTokenRequest(header.challenge, header.tokenKey);
  const issuer = new Issuer(
    BlindRSAMode.PSS,
    header.challenge.issuerName,
    key.pair.privateKey,
    key.pair.publicKey,
  );
  return { key, token: await client.finalize(await issuer.issue(request)) };
}

describe("site gate over HTTP against an issuer over HTTP", () => {
  it("401 → standard client token → 200 with cookie → cookie alone passes → token reuse refused", async () => {
    const first = await fetch(`${siteUrl}/adult`);
    expect(first.status).toBe(401);
    const { key, token } = await tokenFor(first.headers.get("WWW-Authenticate") ?? "");
    expect(key.ageOver).toBe(18);

    const authorization = new AuthorizationHeader(token).toString(true);
    const second = await fetch(`${siteUrl}/adult`, { headers: { Authorization: authorization } });
    expect(second.status).toBe(200);
    expect(await second.text()).toBe("adult content for over 18");
    const cookie = (second.headers.getSetCookie()[0] ?? "").split(";")[0] ?? "";
    expect(cookie).toMatch(/^blindgate-age=/);

    const third = await fetch(`${siteUrl}/adult/next-page`, { headers: { Cookie: cookie } });
    expect(third.status).toBe(200);

    const replay = await fetch(`${siteUrl}/adult`, { headers: { Authorization: authorization } });
    expect(replay.status).toBe(401);
    expect(await replay.json()).toMatchObject({ error: { code: "ERR_TOKEN_REJECTED" } });
    expect(checks).toBe(2);
  });

  it("takes a proof on the proof endpoint as the browser part sends it", async () => {
    const first = await fetch(`${siteUrl}/adult`);
    const { token } = await tokenFor(first.headers.get("WWW-Authenticate") ?? "");
    const proof = await fetch(`${siteUrl}/.well-known/blindgate/proof`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token: Buffer.from(token.serialize()).toString("base64url") }),
    });
    expect(proof.status).toBe(200);
    expect(await proof.json()).toEqual({ ok: true, ageOver: 18 });
  });

  it("fails closed with 503 once the gateway is gone", async () => {
    const first = await fetch(`${siteUrl}/adult`);
    const { token } = await tokenFor(first.headers.get("WWW-Authenticate") ?? "");
    gatewayServer.close();
    gatewayServer.closeAllConnections();
    await once(gatewayServer, "close");
    const response = await fetch(`${siteUrl}/adult`, {
      headers: { Authorization: new AuthorizationHeader(token).toString(true) },
    });
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ error: { code: "ERR_GATEWAY_UNAVAILABLE" } });
    // Not a silent 503: the operator's log says what happened, and holds no key.
    expect(logged.at(-1)).toMatch(
      /^blindgate: ERR_GATEWAY_UNAVAILABLE: check: the gateway cannot be reached/,
    );
    expect(logged.join("\n")).not.toContain(SITE_KEY);
  });
});
