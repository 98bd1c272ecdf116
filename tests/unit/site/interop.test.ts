import { type AgeGateOptions, createAgeGate } from "@blindgate/sdk/site";
import { AuthorizationHeader, publicVerif, WWWAuthenticateHeader } from "@cloudflare/privacypass-ts";
import { describe, expect, it } from "vitest";
import { Clock, FakeGateway, fetchFor, type PublishedKey, SECRET } from "./fixtures.js";

/*
 * A standard Privacy Pass client that knows nothing of blindgate (Cloudflare's privacypass-ts) reads the gate's
 * 401, gets a token blind-signed by a standard RFC 9578 issuer for the pinned key, and answers with
 * `Authorization: PrivateToken token=...`. The gate accepts it.
 */

const { BlindRSAMode, Client, Issuer, getPublicKeyBytes } = publicVerif;

async function cloudflareKey(ageOver: number, clock: Clock) {
  const pair = await Issuer.generateKey(BlindRSAMode.PSS, {
    modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
  });
  const spki = await getPublicKeyBytes(pair.publicKey);
  const keyId = Buffer.from(await crypto.subtle.digest("SHA-256", new Uint8Array(spki))).toString("hex");
  return {
    pair,
    key: { ageOver, spki, keyId, notBefore: clock.seconds - 60, notAfter: clock.seconds + 86400 },
  };
}

describe("interop with a standard Privacy Pass client and issuer", () => {
  it("the gate accepts a token a standard client obtains from the gate's own 401 challenge", async () => {
    const clock = new Clock();
    const k16 = await cloudflareKey(16, clock);
    const k18 = await cloudflareKey(18, clock);
    // The fake gateway only serves the directory and the check; signing happens in the standard issuer.
    const gateway = new FakeGateway<PublishedKey>("gateway.example", [k16.key, k18.key]);
    const options: AgeGateOptions = {
      issuers: { url: gateway.baseUrl, siteKey: gateway.siteKey },
      minAge: 17,
      session: { secret: SECRET },
      logger: false,
      fetch: fetchFor(gateway),
      now: clock.now,
    };
    const handler = createAgeGate(options).protect((_r, { ageOver }) => new Response(`over ${ageOver}`));

    const first = await handler(new Request("https://site.example/adult"));
    expect(first.status).toBe(401);
    const [header] = WWWAuthenticateHeader.parse(first.headers.get("WWW-Authenticate") ?? "");
    if (header === undefined) throw new Error("no challenge a standard client can read");
    expect(Buffer.from(header.tokenKey).equals(Buffer.from(k18.key.spki))).toBe(true);
    expect(header.challenge.issuerName).toBe("gateway.example");

    const client = new Client(BlindRSAMode.PSS);
    const request = await client.createTokenRequest(header.challenge, header.tokenKey);
    const issuer = new Issuer(BlindRSAMode.PSS, "gateway.example", k18.pair.privateKey, k18.pair.publicKey);
    const token = await client.finalize(await issuer.issue(request));

    const second = await handler(
      new Request("https://site.example/adult", {
        headers: { Authorization: new AuthorizationHeader(token).toString(true) },
      }),
    );
    expect(second.status).toBe(200);
    expect(await second.text()).toBe("over 18");
    expect(second.headers.getSetCookie()[0]).toMatch(/^__Host-blindgate-age=/);
    expect(gateway.checks).toHaveLength(1);
  });
});
