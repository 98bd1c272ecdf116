import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { providersAnswerSchema } from "@blindgate/sdk/protocol/internal";
import { exportGrantJwks, generateGrantKey } from "@blindgate/sdk/provider";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AdminContext, runCommand } from "../../../functions/admin/commands.js";
import { AdminError } from "../../../functions/admin/operations.js";
import { type LocalGateway, startLocalGateway } from "../../../functions/local/gateway.js";
import { dynamoClient } from "../../../functions/runtime.js";
import { DynamoProviderSettings } from "../../../functions/stores/dynamo/provider-settings.js";

/*
 * Providers' names per language: the operator gives a French name (`provider add --name-fr`), the gateway keeps it
 * and lists it at /v1/providers as `names.fr` (the wallet shows names[lang], else name); a provider given none
 * lists no `names`.
 */

let gateway: LocalGateway;
let ctx: AdminContext;
let dir: string;
let jwksFile: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "blindgate-names-"));
  gateway = await startLocalGateway({ wallet: false, thresholds: [13, 18] });
  ctx = {
    deps: gateway.deps,
    providerSettings: new DynamoProviderSettings(
      dynamoClient(gateway.dynamoEndpoint),
      gateway.config.tables.providers,
    ),
    source: "test",
    gatewayUrl: gateway.localUrl,
  };
  jwksFile = join(dir, "jwks.json");
  await writeFile(
    jwksFile,
    JSON.stringify(await exportGrantJwks(await generateGrantKey({ kid: "names-k1" }))),
  );
}, 60_000);
afterAll(async () => {
  await gateway?.close();
  await rm(dir, { recursive: true, force: true });
});

async function run(...argv: string[]): Promise<string> {
  const lines: string[] = [];
  expect(await runCommand(argv, ctx, { out: (l) => lines.push(l) })).toBe(0);
  return lines.join("\n");
}

async function listed() {
  const res = await fetch(`${gateway.url}/v1/providers`);
  expect(res.status).toBe(200);
  // the SDK's contract schema: strict, so an unlisted field would fail here
  return providersAnswerSchema.parse(await res.json()).providers;
}

describe("provider names per language", () => {
  it("provider add --name-fr: kept, shown, and listed as names.fr at /v1/providers", async () => {
    const added = JSON.parse(
      await run(
        "provider",
        "add",
        "--id",
        "names-fr",
        "--name",
        "Age Check Ltd",
        "--name-fr",
        "Vérif'Âge",
        "--verify-url",
        "https://age.example/verify",
        "--jwks",
        jwksFile,
        "--json",
      ),
    ) as { provider: { names?: Record<string, string> } };
    expect(added.provider.names).toEqual({ fr: "Vérif'Âge" });
    await run(
      "provider",
      "add",
      "--id",
      "names-none",
      "--name",
      "Plain Check",
      "--verify-url",
      "https://plain.example/verify",
      "--jwks",
      jwksFile,
    );
    const providers = await listed();
    expect(providers.find((p) => p.id === "names-fr")).toEqual({
      id: "names-fr",
      name: "Age Check Ltd",
      names: { fr: "Vérif'Âge" },
      verifyUrl: "https://age.example/verify",
    });
    const plain = providers.find((p) => p.id === "names-none");
    expect(plain?.name).toBe("Plain Check");
    expect(plain).not.toHaveProperty("names");
  });

  it("refuses an empty French name and a tag that is not a language", async () => {
    await expect(
      runCommand(
        [
          "provider",
          "add",
          "--id",
          "names-empty",
          "--name",
          "X",
          "--name-fr",
          "",
          "--verify-url",
          "https://x.example/v",
          "--jwks",
          jwksFile,
        ],
        ctx,
        { out: () => {} },
      ),
    ).rejects.toBeInstanceOf(AdminError);
    await expect(
      gateway.addProvider({
        id: "names-bad-tag",
        name: "X",
        names: { "FR-fr": "X" },
        verifyUrl: "https://x.example/v",
        jwks: JSON.parse(await readFile(jwksFile, "utf8")),
      }),
    ).rejects.toBeInstanceOf(AdminError);
    expect((await listed()).map((p) => p.id)).not.toContain("names-bad-tag");
  });
});
