import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { environmentCredentials } from "@blindgate/aws-json";
import * as esbuild from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { esbuildOptions, REPO_ROOT } from "../../../infra/constructs/bundling.js";

/*
 * The Lambda bundles' options, proven on a real bundle of the client the functions import: an ESM file that runs
 * under plain node, with no module replaced, no AWS SDK code inside, and the role's credentials from the
 * environment really used to sign a DynamoDB request (seen by a local HTTP server).
 */

const run = promisify(execFile);

let dir: string;
let bundle: string;
let metafile: esbuild.Metafile;
let server: Server;
let endpoint: string;
const seen: { authorization: string | undefined; target: string | undefined }[] = [];

beforeAll(async () => {
  mkdirSync(join(REPO_ROOT, "cdk.out"), { recursive: true });
  dir = mkdtempSync(join(REPO_ROOT, "cdk.out", "test-bundling-"));
  const entry = join(dir, "entry.ts");
  writeFileSync(
    entry,
    [
      'import { DynamoDBClient, GetItemCommand } from "@blindgate/aws-json/dynamodb";',
      "export const handler = async (endpoint: string) => {",
      '  const client = new DynamoDBClient({ endpoint, region: "eu-west-3" });',
      '  const out = await client.send(new GetItemCommand({ TableName: "t", Key: { pk: { S: "x" } } }));',
      "  return out.Item === undefined;",
      "};",
    ].join("\n"),
  );
  bundle = join(dir, "entry.mjs");
  const result = await esbuild.build({ ...esbuildOptions(entry), outfile: bundle, metafile: true });
  metafile = result.metafile;

  server = createServer((req, res) => {
    seen.push({ authorization: req.headers.authorization, target: req.headers["x-amz-target"] as string });
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/x-amz-json-1.0" });
      res.end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 60_000);

afterAll(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

async function runBundle(env: Record<string, string>): Promise<string> {
  const script = `const { handler } = await import(${JSON.stringify(bundle)}); try { process.stdout.write(String(await handler(${JSON.stringify(endpoint)}))); } catch (e) { process.stdout.write(e.name); }`;
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith("AWS_")),
  ) as Record<string, string>;
  const { stdout } = await run(process.execPath, ["--no-warnings", "--input-type=module", "-e", script], {
    cwd: dir,
    env: { ...clean, HOME: dir, ...env },
  });
  return stdout;
}

describe("Lambda bundle options", () => {
  it("replace no module: the bundle holds the client imported, and no part of the AWS SDK", () => {
    expect(Object.keys(esbuildOptions("entry.ts"))).not.toContain("alias");
    const inputs = Object.keys(metafile.inputs);
    for (const part of ["dynamodb.ts", "client.ts", "credentials.ts", "limits.ts"]) {
      expect(inputs.some((f) => f.endsWith(`packages/aws-json/src/${part}`))).toBe(true);
    }
    for (const gone of [
      "@aws-sdk/",
      "credential-provider-node",
      "credential-provider-sso",
      "credential-provider-ini",
    ]) {
      expect(inputs.filter((f) => f.includes(gone))).toEqual([]);
    }
  });

  it("carry no SDK signer or HTTP handler (sigv4.ts and node:http do that), and no CommonJS SDK build", () => {
    const inputs = Object.keys(metafile.inputs);
    expect(inputs.filter((f) => /@(aws-sdk|smithy)\/[^/]+\/dist-cjs\//.test(f))).toEqual([]);
    // What ends up in the output (tree-shaken inputs weigh 0 bytes).
    const output = Object.values(metafile.outputs).find((o) => o.entryPoint !== undefined);
    const weight = (part: string) =>
      Object.entries(output?.inputs ?? {})
        .filter(([f]) => f.includes(part))
        .reduce((sum, [, i]) => sum + i.bytesInOutput, 0);
    expect(weight("node_modules/bowser/")).toBe(0);
    expect(weight("@smithy/signature-v4/")).toBe(0);
    expect(weight("@smithy/node-http-handler/")).toBe(0);
    expect(weight("packages/aws-json/src/sigv4.ts")).toBeGreaterThan(0);
    expect(output?.bytes).toBeLessThan(12 * 1024);
  });

  it("produce an ESM file that signs requests with the role's credentials from the environment", async () => {
    seen.length = 0;
    const out = await runBundle({
      AWS_ACCESS_KEY_ID: "AKIDBLINDGATETEST",
      AWS_SECRET_ACCESS_KEY: "secret",
      AWS_SESSION_TOKEN: "session",
    });
    expect(out).toBe("true");
    expect(seen).toHaveLength(1);
    expect(seen[0]?.target).toBe("DynamoDB_20120810.GetItem");
    expect(seen[0]?.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDBLINDGATETEST\/\d{8}\/eu-west-3\//,
    );
  });

  it("refuse to send anything without credentials in the environment", async () => {
    seen.length = 0;
    expect(await runBundle({})).toBe("CredentialsProviderError");
    expect(seen).toHaveLength(0);
  });
});

describe("environmentCredentials", () => {
  it("reads the role's credentials, session token and expiry from the environment", async () => {
    const saved = { ...process.env };
    try {
      process.env.AWS_ACCESS_KEY_ID = "AKID1";
      process.env.AWS_SECRET_ACCESS_KEY = "s1";
      process.env.AWS_SESSION_TOKEN = "t1";
      process.env.AWS_CREDENTIAL_EXPIRATION = "2030-01-01T00:00:00Z";
      expect(await environmentCredentials()).toEqual({
        accessKeyId: "AKID1",
        secretAccessKey: "s1",
        sessionToken: "t1",
        expiration: new Date("2030-01-01T00:00:00Z"),
      });
      delete process.env.AWS_SESSION_TOKEN;
      delete process.env.AWS_CREDENTIAL_EXPIRATION;
      expect(await environmentCredentials()).toEqual({ accessKeyId: "AKID1", secretAccessKey: "s1" });
      delete process.env.AWS_SECRET_ACCESS_KEY;
      await expect(environmentCredentials()).rejects.toThrow(/no AWS credentials/);
    } finally {
      process.env = saved;
    }
  });
});
