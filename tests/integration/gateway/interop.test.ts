import { createNodeTokenVerifier } from "@blindgate/sdk/node";
import { exportGrantJwks } from "@blindgate/sdk/provider";
import { createAgeGate } from "@blindgate/sdk/site";
import { AuthorizationHeader, publicVerif, WWWAuthenticateHeader } from "@cloudflare/privacypass-ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalGateway, startLocalGateway } from "../../../functions/local/gateway.js";
import { type DynamoServer, startDynalite } from "../../support/dynamo.js";
import { makeGrant, registerProvider } from "./client.js";

/*
 * An independent RFC 9577/9578 client (Cloudflare's privacypass-ts), which knows nothing of blindgate: it reads a
 * site's 401 PrivateToken challenge, sends one standard TokenRequest (application/private-token-request) to our
 * gateway with a grant, finalizes the standard TokenResponse, and answers the site with
 * `Authorization: PrivateToken token=...`. Our gateway, our site SDK and their client agree on every byte — for a
 * threshold and for a band: a teen room's challenge pins the band key, and the same standard client redeems it.
 */

const { BlindRSAMode, Client, TokenResponse } = publicVerif;

describe("interop: a standard Privacy Pass client against the real gateway", () => {
  let server: DynamoServer;
  let gateway: LocalGateway;

  beforeAll(async () => {
    server = await startDynalite();
    gateway = await startLocalGateway({
      dynamoEndpoint: server.endpoint,
      wallet: false,
      thresholds: [13, 18],
      bands: [{ from: 13, below: 18 }],
    });
  });
  afterAll(async () => {
    await gateway?.close();
    await server?.stop();
  });

  it("gets a token from our issuer for the site's own challenge and passes the site's gate with it, once", async () => {
    const provider = await registerProvider(gateway, "prov-interop");
    const { apiKey } = await gateway.addSite("Interop site");
    const gate = createAgeGate({
      issuers: { url: gateway.url, siteKey: apiKey, issuerName: gateway.issuerName },
      minAge: 18,
      session: { secret: "interop-secret-interop-secret-32b!", secure: false },
      verifier: createNodeTokenVerifier,
    }).protect((_request, { ageOver }) => new Response(`over ${ageOver}`));

    const first = await gate(new Request("http://site.example/adult"));
    expect(first.status).toBe(401);
    const [challenge] = WWWAuthenticateHeader.parse(first.headers.get("WWW-Authenticate") ?? "");
    if (challenge === undefined) throw new Error("no challenge a standard client can read");

    const client = new Client(BlindRSAMode.PSS);
    const request = await client.createTokenRequest(challenge.challenge, challenge.tokenKey);
    const answer = await fetch(`${gateway.url}/token-request`, {
      method: "POST",
      headers: {
        "content-type": "application/private-token-request",
        authorization: `Bearer ${await makeGrant(gateway, provider, { max_tokens: 1 })}`,
      },
      body: Buffer.from(request.serialize()),
    });
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-type")).toBe("application/private-token-response");
    const token = await client.finalize(
      TokenResponse.deserialize(new Uint8Array(await answer.arrayBuffer())),
    );

    const authorization = new AuthorizationHeader(token).toString(true);
    const second = await gate(
      new Request("http://site.example/adult", { headers: { Authorization: authorization } }),
    );
    expect(second.status).toBe(200);
    expect(await second.text()).toBe("over 18");
    // the same token again, without the session: spent
    const third = await gate(
      new Request("http://site.example/adult", { headers: { Authorization: authorization } }),
    );
    expect(third.status).toBe(401);
  });

  it("redeems a band token: a teen room's challenge names the 13–17 key, and the plain client gets and spends it", async () => {
    const key = (await registerProvider(gateway, "prov-interop-teen-key")).key;
    await gateway.addProvider({
      id: "prov-interop-teen",
      name: "Teen provider",
      verifyUrl: "http://127.0.0.1:9/teen",
      jwks: await exportGrantJwks(key),
      bands: ["13-18"],
    });
    const provider = { id: "prov-interop-teen", key };
    const { apiKey } = await gateway.addSite("Interop teen room");
    const gate = createAgeGate({
      issuers: { url: gateway.url, siteKey: apiKey, issuerName: gateway.issuerName },
      minAge: 13,
      ageBelow: 18,
      session: { secret: "interop-secret-interop-secret-32b!", secure: false },
      verifier: createNodeTokenVerifier,
    }).protect((_request, age) => new Response(`from ${age.ageOver} below ${age.ageBelow}`));

    const first = await gate(new Request("http://site.example/teens"));
    expect(first.status).toBe(401);
    const [challenge] = WWWAuthenticateHeader.parse(first.headers.get("WWW-Authenticate") ?? "");
    if (challenge === undefined) throw new Error("no challenge a standard client can read");
    const client = new Client(BlindRSAMode.PSS);
    const request = await client.createTokenRequest(challenge.challenge, challenge.tokenKey);
    const now = Math.floor(Date.now() / 1000);
    const grant = await makeGrant(gateway, provider, {
      age_over: 15,
      age_below: 16,
      below_until: Math.floor(now / 86_400) * 86_400 + 30 * 86_400,
      max_tokens: 1,
    });
    const answer = await fetch(`${gateway.url}/token-request`, {
      method: "POST",
      headers: { "content-type": "application/private-token-request", authorization: `Bearer ${grant}` },
      body: Buffer.from(request.serialize()),
    });
    expect(answer.status).toBe(200);
    const token = await client.finalize(
      TokenResponse.deserialize(new Uint8Array(await answer.arrayBuffer())),
    );
    const authorization = new AuthorizationHeader(token).toString(true);
    const second = await gate(
      new Request("http://site.example/teens", { headers: { Authorization: authorization } }),
    );
    expect(second.status).toBe(200);
    expect(await second.text()).toBe("from 13 below 18");
    const third = await gate(
      new Request("http://site.example/teens", { headers: { Authorization: authorization } }),
    );
    expect(third.status).toBe(401);
  });
});
