import { createNodeTokenVerifier } from "@blindgate/sdk/node";
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
 * `Authorization: PrivateToken token=...`. Our gateway, our site SDK and their client agree on every byte.
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
});
