import { amzDate, canonicalPath, SigV4Signer } from "@blindgate/aws-json";
import { Sha256 } from "@smithy/core/checksum";
import { SignatureV4 } from "@smithy/signature-v4";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

/*
 * The gateway's SigV4 (packages/aws-json/src/sigv4.ts): the AWS test suite's post-vanilla case, then the
 * SDK's own signer (@smithy/signature-v4, which the bundles used before) byte for byte on random requests, dates
 * and credentials. tests/unit/aws-json/dynamodb.test.ts checks the signatures on the wire with a third,
 * independent implementation.
 */

const EXAMPLE = {
  accessKeyId: "AKIDEXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
};

describe("SigV4 for the slim AWS clients", () => {
  it("signs the AWS SigV4 test suite's post-vanilla request", () => {
    const signed = new SigV4Signer("service", "us-east-1").sign(
      { method: "POST", path: "/", headers: { host: "example.amazonaws.com" }, body: "" },
      EXAMPLE,
      new Date("2015-08-30T12:36:00Z"),
    );
    expect(signed).toEqual({
      "x-amz-date": "20150830T123600Z",
      authorization:
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, " +
        "SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
    });
  });

  it("agrees with the SDK's SignatureV4 on random requests, days and credentials (property)", async () => {
    // one signer per region and service, kept across runs: its cached signing key must follow day and secret
    const ours = new Map<string, SigV4Signer>();
    const token = fc.string({ minLength: 1, maxLength: 40, unit: fc.constantFrom(..."ABCdef0123+/=") });
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("eu-west-3", "us-east-1", "cn-north-1"),
        fc.constantFrom("dynamodb", "kms"),
        fc.constantFrom("/", "/a/b", "/a/./b/../c/", "/with space/é"),
        fc.string({ maxLength: 300, unit: "grapheme" }),
        fc.constantFrom("DynamoDB_20120810.PutItem", "TrentService.Decrypt"),
        fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2035, 0, 1) }),
        fc.constantFrom("AKIDA", "ASIAB"),
        fc.constantFrom("secret-1", "secret/2+x"),
        fc.option(token, { nil: undefined }),
        async (region, service, path, body, target, time, accessKeyId, secretAccessKey, sessionToken) => {
          const credentials = { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
          const headers = {
            "content-length": String(Buffer.byteLength(body)),
            "content-type": "application/x-amz-json-1.0",
            host: `${service}.${region}.amazonaws.com`,
            "x-amz-target": target,
          };
          const date = new Date(time);
          let signer = ours.get(`${region} ${service}`);
          if (signer === undefined) {
            signer = new SigV4Signer(service, region);
            ours.set(`${region} ${service}`, signer);
          }
          const mine = signer.sign({ method: "POST", path, headers, body }, credentials, date);
          const theirs = await new SignatureV4({
            service,
            region,
            credentials,
            sha256: Sha256,
            applyChecksum: false,
          }).sign(
            { method: "POST", protocol: "https:", hostname: headers.host, path, query: {}, headers, body },
            { signingDate: date },
          );
          const expected = theirs.headers as Record<string, string>;
          expect(mine.authorization).toBe(expected.authorization);
          expect(mine["x-amz-date"]).toBe(expected["x-amz-date"]);
          expect(mine["x-amz-security-token"]).toBe(expected["x-amz-security-token"]);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("formats X-Amz-Date and the canonical path as SigV4 wants", () => {
    expect(amzDate(new Date("2024-01-02T03:04:05.678Z"))).toBe("20240102T030405Z");
    expect(canonicalPath("/")).toBe("/");
    expect(canonicalPath("/a/./b/../c/")).toBe("/a/c/");
    expect(canonicalPath("/with%20space")).toBe("/with%2520space"); // sent encoded, signed encoded twice
  });

  it("keeps the derived key out of JSON and logs", () => {
    const signer = new SigV4Signer("dynamodb", "eu-west-3");
    signer.sign({ method: "POST", path: "/", headers: { host: "h" }, body: "{}" }, EXAMPLE);
    expect(JSON.stringify(signer)).toBe('{"service":"dynamodb","region":"eu-west-3"}');
  });
});
