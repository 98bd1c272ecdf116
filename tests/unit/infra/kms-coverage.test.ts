import { randomBytes } from "node:crypto";
import type { KMSClient } from "@blindgate/aws-json/kms";
import {
  beginIssuance,
  finishIssuance,
  TOKEN_REQUEST_MEDIA_TYPE,
  TokenChallenge,
  TokenResponse,
  toBase64Url,
} from "@blindgate/sdk/protocol";
import type { Context } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCheckHandler } from "../../../functions/handlers/check.js";
import { createIssueHandler } from "../../../functions/handlers/issue.js";
import type { HttpEvent, HttpResult } from "../../../functions/http/index.js";
import { createKmsKeyVault } from "../../../functions/issuer/key-vault.js";
import { rotateKeys } from "../../../functions/issuer/rotation.js";
import { type LocalGateway, startLocalGateway } from "../../../functions/local/gateway.js";
import { createDeps, type Deps } from "../../../functions/runtime.js";
import { ACCESS, KMS_CONDITION } from "../../../infra/constructs/access.js";
import { makeGrant, registerProvider } from "../../integration/gateway/client.js";

/*
 * The stack's KMS grants held against the code: the key vault on a stand-in KMS client that records every
 * command, then the real rotation (seals new keys), the real issue handler (opens one) and the real check
 * handler. Each must send exactly the KMS actions its function is granted, with the encryption context the
 * grants' condition requires.
 */

const KEY_ARN = "arn:aws:kms:eu-west-3:123456789012:key/00000000-0000-4000-8000-000000000000";

interface KmsCall {
  action: string;
  keyId: unknown;
  context: Record<string, string> | undefined;
}

const kmsCalls: KmsCall[] = [];

/** Answers GenerateDataKey and Decrypt like KMS would for this test (the "wrapping" is a reversible marker). */
const fakeKms = {
  async send(command: { constructor: { name: string }; input: Record<string, unknown> }) {
    const action = command.constructor.name.replace(/Command$/, "");
    kmsCalls.push({
      action,
      keyId: command.input.KeyId,
      context: command.input.EncryptionContext as Record<string, string> | undefined,
    });
    if (action === "GenerateDataKey") {
      const plaintext = randomBytes(32);
      return { Plaintext: new Uint8Array(plaintext), CiphertextBlob: new Uint8Array([0xee, ...plaintext]) };
    }
    if (action === "Decrypt") {
      const blob = command.input.CiphertextBlob as Uint8Array;
      return { Plaintext: blob.subarray(1) };
    }
    throw new Error(`unexpected KMS command ${action}`);
  },
} as unknown as KMSClient;

let gateway: LocalGateway;
let deps: Deps;
let clock: number;
const recorded: Partial<Record<"rotateKeys" | "issue" | "check", string[]>> = {};
const contexts: (Record<string, string> | undefined)[] = [];

async function during(fn: "rotateKeys" | "issue" | "check", work: () => Promise<void>) {
  kmsCalls.length = 0;
  await work();
  recorded[fn] = [...new Set(kmsCalls.map((c) => `kms:${c.action}`))].sort();
  for (const call of kmsCalls) {
    expect(call.keyId).toBe(KEY_ARN);
    contexts.push(call.context);
  }
}

function event(method: string, path: string, headers: Record<string, string>, body: Buffer): HttpEvent {
  return {
    version: "2.0",
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: "",
    headers,
    requestContext: {
      accountId: "123456789012",
      apiId: "api",
      domainName: "gateway.example",
      domainPrefix: "gateway",
      http: { method, path, protocol: "HTTP/1.1", sourceIp: "192.0.2.1", userAgent: "test" },
      requestId: "req",
      routeKey: `${method} ${path}`,
      stage: "$default",
      time: "22/Nov/2026:00:00:00 +0000",
      timeEpoch: 0,
    },
    body: body.toString("base64"),
    isBase64Encoded: true,
  };
}

const context = { awsRequestId: "req", getRemainingTimeInMillis: () => 10_000 } as unknown as Context;

beforeAll(async () => {
  gateway = await startLocalGateway({ wallet: false });
  // Three weeks on: the local keys are gone and the rotation seals fresh ones with "KMS".
  clock = gateway.deps.now() + 21 * 86_400;
  deps = createDeps({ ...gateway.deps, vault: createKmsKeyVault(fakeKms, KEY_ARN), now: () => clock });
  const provider = await registerProvider(gateway, "kms-provider");
  const { apiKey } = await gateway.addSite("kms-site");

  await during("rotateKeys", async () => {
    expect((await rotateKeys(deps)).created.length).toBeGreaterThan(0);
  });

  const key = (await deps.stores.keys.list()).find(
    (k) => k.kind === "token" && k.threshold === 18 && k.notBefore <= clock && clock < k.issueUntil,
  );
  if (key === undefined) throw new Error("no issuing key after rotation");
  const challenge = TokenChallenge.crossOrigin(gateway.issuerName).encode();
  const begun = await beginIssuance({ challenge, tokenKey: key.spki });
  const grant = await makeGrant({ ...gateway, deps } as LocalGateway, provider);
  let answer: HttpResult | undefined;
  await during("issue", async () => {
    answer = (await createIssueHandler(deps)(
      event(
        "POST",
        "/token-request",
        { "content-type": TOKEN_REQUEST_MEDIA_TYPE, authorization: `Bearer ${grant}` },
        Buffer.from(begun.request.encode()),
      ),
      context,
    )) as HttpResult;
    expect(answer.statusCode).toBe(200);
  });
  const body = Buffer.from(answer?.body ?? "", answer?.isBase64Encoded ? "base64" : "utf8");
  const token = await finishIssuance(begun.pending, TokenResponse.decode(new Uint8Array(body)));

  await during("check", async () => {
    const out = (await createCheckHandler(deps)(
      event(
        "POST",
        "/v1/check",
        { "content-type": "application/json", authorization: `Bearer ${apiKey}` },
        Buffer.from(JSON.stringify({ token: toBase64Url(token.encode()), minAge: 18 })),
      ),
      context,
    )) as HttpResult;
    expect(JSON.parse(String(out.body))).toMatchObject({ valid: true, ageOver: 18 });
  });
}, 120_000);

afterAll(async () => {
  await gateway?.close();
});

describe("the stack's KMS grants match what the code sends", () => {
  it.each(["rotateKeys", "issue", "check"] as const)("%s", (fn) => {
    expect(recorded[fn]).toEqual([...ACCESS[fn].kms].sort());
  });

  it("every KMS call carries the encryption context the grants require", () => {
    expect(contexts.length).toBeGreaterThan(0);
    for (const c of contexts) {
      expect(c?.purpose).toBe(KMS_CONDITION.StringEquals["kms:EncryptionContext:purpose"]);
    }
  });
});
