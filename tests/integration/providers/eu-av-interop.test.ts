// @auth0/mdl brings @peculiar/x509 1.x, which loads the real reflect-metadata: load it first, so the repository's
// small stand-in (imported by eu-av-holder) finds the API in place and steps aside.
import "reflect-metadata";
import { decode as cborDecode, type Tag } from "cbor-x";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EuAvProvider, startEuAvProvider } from "../../../providers/eu-av/local.js";
import {
  createDocumentSigner,
  createTestIaca,
  resolveRequest,
  type TestSigner,
} from "../../support/eu-av-holder.js";
import {
  annexCTranscript,
  cbor,
  hpkeSeal,
  issueWithMdl,
  jwkThumbprint,
  openid4vpTranscript,
  presentWithMdl,
} from "../../support/eu-av-mdl-holder.js";

/*
 * Interop: the provider against a holder that shares none of its code (tests/support/eu-av-mdl-holder.ts: @auth0/mdl
 * for the mdoc, CBOR, transcripts and HPKE written here from the specifications). The hand-made parts are first
 * checked against the specifications' own examples: OpenID4VP 1.0 Appendix B.2.6.1's worked SessionTranscript and
 * RFC 9180 Appendix A.3.1 (the Annex C suite). Neither ISO/IEC 18013-7 nor a public implementation we found
 * publishes an Annex C vector, so that path is tested end to end with this independent holder.
 */

process.env.BLINDGATE_QUIET = "1";
const WALLET = "http://wallet.localhost:8787";
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");
let provider: EuAvProvider;
let signer: TestSigner;

beforeAll(async () => {
  const iaca = await createTestIaca();
  signer = await createDocumentSigner(iaca);
  provider = await startEuAvProvider({
    host: "127.0.0.1",
    gatewayIssuer: "gateway.localhost",
    walletOrigin: WALLET,
    trustedIacas: [iaca.pem],
    sessionsPerMinute: 1000,
  });
});

afterAll(async () => {
  await provider?.close();
});

describe("the holder's hand-made parts, against the specifications' examples", () => {
  it("OpenID4VP 1.0 B.2.6.1: OpenID4VPHandoverInfo, OpenID4VPHandover and SessionTranscript, byte for byte", () => {
    const thumbprint = jwkThumbprint({
      kty: "EC",
      crv: "P-256",
      x: "DxiH5Q4Yx3UrukE2lWCErq8N8bqC9CHLLrAwLz5BmE0",
      y: "XtLM4-3h5o3HUH0MHVJV0kyq0iBlrBwlh8qEDMZ4-Pc",
    });
    const t = openid4vpTranscript({
      clientId: "x509_san_dns:example.com",
      nonce: "exc7gBkxjx1rdc9udRrveKvSsJIq80avlXeLHhGwqtA",
      jwkThumbprint: thumbprint,
      responseUri: "https://example.com/response",
    });
    expect(t.info.toString("hex")).toBe(
      hex(`847818783530395f73616e5f646e733a6578616d706c652e636f6d782b6578633767
        426b786a7831726463397564527276654b7653734a4971383061766c58654c486847
        7771744158204283ec927ae0f208daaa2d026a814f2b22dca52cf85ffa8f3f8626c6
        bd669047781c68747470733a2f2f6578616d706c652e636f6d2f726573706f6e7365`).toString("hex"),
    );
    expect(t.handover.toString("hex")).toBe(
      hex(`82714f70656e494434565048616e646f7665725820048bc053c00442af9b8eed494c
        efdd9d95240d254b046b11b68013722aad38ac`).toString("hex"),
    );
    expect(t.transcript.toString("hex")).toBe(
      hex(`83f6f682714f70656e494434565048616e646f7665725820048bc053c00442af9b8e
        ed494cefdd9d95240d254b046b11b68013722aad38ac`).toString("hex"),
    );
  });

  it("RFC 9180 A.3.1 (DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, AES-128-GCM): enc and the first ciphertext", () => {
    const sealed = hpkeSeal({
      recipientPublicKey: hex(
        "04fe8c19ce0905191ebc298a9245792531f26f0cece2460639e8bc39cb7f706a826a779b4cf969b8a0e539c7f62fb3d30ad6aa8f80e30f1d128aafd68a2ce72ea0",
      ),
      info: hex("4f6465206f6e2061204772656369616e2055726e"),
      aad: hex("436f756e742d30"),
      plaintext: hex("4265617574792069732074727574682c20747275746820626561757479"),
      ephemeral: hex("4995788ef4b9d6132b249ce59a77281493eb39af373d236a1fe415cb0c2d7beb"),
    });
    expect(sealed.enc.toString("hex")).toBe(
      "04a92719c6195d5085104f469a8b9814d5838ff72b60501e2c4466e5e67b325ac98536d7b61a1af4b78e5b7f951c0900be863c403ce65c9bfcb9382657222d18c4",
    );
    expect(sealed.cipherText.toString("hex")).toBe(
      "5ad590bb8baa577f8619db35a36311226a896e7342a6d836d8b7bcd2f20b6c7f9076ac232e3ab2523f39513434",
    );
  });

  it("CBOR heads of every length class (RFC 8949 §3.1)", () => {
    expect(cbor("a".repeat(23)).subarray(0, 1).toString("hex")).toBe("77");
    expect(cbor("a".repeat(24)).subarray(0, 2).toString("hex")).toBe("7818");
    expect(cbor(new Uint8Array(256)).subarray(0, 3).toString("hex")).toBe("590100");
    expect(cbor(new Uint8Array(65_536)).subarray(0, 5).toString("hex")).toBe("5a00010000");
  });
});

async function openSession() {
  const state = crypto.randomUUID().replace(/-/g, "");
  const res = await fetch(`${provider.localUrl}/session`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ wallet_origin: WALLET, state }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as {
    id: string;
    secret: string;
    links: { byReference: string };
    dcApi: { protocol: string; data: Record<string, string> }[];
  };
}

const local = (url: string) => url.replace(provider.url, provider.localUrl);
const viaLocal: typeof fetch = (input, init) => fetch(local(String(input)), init);

async function poll(session: { id: string; secret: string }) {
  const res = await fetch(`${provider.localUrl}/result`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ id: session.id, secret: session.secret }),
  });
  return (await res.json()) as { message: { type: string; grant?: string; code?: string } };
}

const ADULT = {
  age_over_13: true,
  age_over_15: true,
  age_over_16: true,
  age_over_18: true,
  age_over_21: false,
};

describe("an @auth0/mdl holder against the provider", () => {
  it("OpenID4VP direct_post, request by reference, transcript by hand: a grant for 18", async () => {
    const session = await openSession();
    const request = await resolveRequest(session.links.byReference, viaLocal);
    const holder = await issueWithMdl({ signer, claims: ADULT });
    const { transcriptBytes } = openid4vpTranscript({
      clientId: request.clientId,
      nonce: request.nonce,
      jwkThumbprint: null,
      responseUri: request.responseUri,
    });
    const deviceResponse = await presentWithMdl(holder, Object.keys(ADULT), transcriptBytes);
    const res = await fetch(local(request.responseUri), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        vp_token: JSON.stringify({ av: [Buffer.from(deviceResponse).toString("base64url")] }),
        state: request.state,
        iss: "https://wallet.example", // RFC 9207, ignored
      }),
    });
    expect(res.status).toBe(200);
    const result = await poll(session);
    expect(result.message.type).toBe("blindgate:grant");
    expect(decodeJwt(result.message.grant ?? "").age_over).toBe(18);
  });

  it("the DC API, org-iso-mdoc (ISO 18013-7 Annex C): DeviceRequest of age_over_NN only, HPKE by hand: a grant", async () => {
    const session = await openSession();
    expect(session.dcApi.map((r) => r.protocol)).toEqual(["org-iso-mdoc", "openid4vp-v1-unsigned"]);
    const iso = session.dcApi[0]?.data ?? {};
    expect(Object.keys(iso).sort()).toEqual(["deviceRequest", "encryptionInfo"]);

    // The DeviceRequest asks for the AV document's age_over_NN elements and nothing else.
    const deviceRequest = cborDecode(Buffer.from(iso.deviceRequest ?? "", "base64url")) as {
      version: string;
      docRequests: { itemsRequest: Tag }[];
    };
    expect(deviceRequest.version).toBe("1.0");
    expect(deviceRequest.docRequests).toHaveLength(1);
    const itemsTag = deviceRequest.docRequests[0]?.itemsRequest as Tag;
    expect(itemsTag.tag).toBe(24);
    const items = cborDecode(itemsTag.value as Uint8Array) as {
      docType: string;
      nameSpaces: Record<string, Record<string, boolean>>;
    };
    expect(items.docType).toBe("eu.europa.ec.av.1");
    expect(Object.keys(items.nameSpaces)).toEqual(["eu.europa.ec.av.1"]);
    const asked = Object.keys(items.nameSpaces["eu.europa.ec.av.1"] ?? {});
    expect(asked.every((e) => /^age_over_\d+$/.test(e))).toBe(true);

    // EncryptionInfo = ["dcapi", { nonce, recipientPublicKey: COSE_Key }]
    const info = cborDecode(Buffer.from(iso.encryptionInfo ?? "", "base64url")) as [
      string,
      { nonce: Uint8Array; recipientPublicKey: Map<number, unknown> | Record<number, unknown> },
    ];
    expect(info[0]).toBe("dcapi");
    const key = info[1].recipientPublicKey;
    const get = (k: number) => (key instanceof Map ? key.get(k) : (key as Record<number, unknown>)[k]);
    expect([get(1), get(-1)]).toEqual([2, 1]); // EC2, P-256
    const recipientPublicKey = Buffer.concat([
      Buffer.from([4]),
      get(-2) as Uint8Array,
      get(-3) as Uint8Array,
    ]);

    const holder = await issueWithMdl({ signer, claims: ADULT });
    const answer = async (origin: string) => {
      const t = annexCTranscript(iso.encryptionInfo ?? "", origin);
      const deviceResponse = await presentWithMdl(
        holder,
        asked.filter((e) => e in ADULT),
        t.transcriptBytes,
      );
      const sealed = hpkeSeal({ recipientPublicKey, info: t.transcript, plaintext: deviceResponse });
      // EncryptedResponse = ["dcapi", { "enc": bstr, "cipherText": bstr }], written by hand (a map of 2: 0xa2)
      const encrypted = Buffer.concat([
        Buffer.from([0x82]),
        cbor("dcapi"),
        Buffer.from([0xa2]),
        cbor("enc"),
        cbor(sealed.enc),
        cbor("cipherText"),
        cbor(sealed.cipherText),
      ]);
      return { response: encrypted.toString("base64url") };
    };
    const post = async (s: { id: string; secret: string }, data: unknown) =>
      fetch(`${provider.localUrl}/dc-api`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ id: s.id, secret: s.secret, protocol: "org-iso-mdoc", data }),
      });
    const res = await post(session, await answer(new URL(provider.url).origin));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { message: { grant: string } };
    expect(decodeJwt(body.message.grant).age_over).toBe(18);

    // sealed for a transcript of another origin: it does not open with this request's
    const other = await openSession();
    const wrong = await post(other, await answer("https://evil.example"));
    expect(((await wrong.json()) as { message: { code: string } }).message.code).toBe(
      "ERR_ENCRYPTED_RESPONSE",
    );
  });
});
