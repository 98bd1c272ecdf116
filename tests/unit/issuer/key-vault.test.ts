import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KMSClient } from "@blindgate/aws-json/kms";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createKmsKeyVault,
  createLocalKeyVault,
  KeyVaultError,
} from "../../../functions/issuer/key-vault.js";
import { type FakeKms, startFakeKms } from "../../support/kms.js";

const secret = new Uint8Array(randomBytes(1200)); // stands for a PKCS#8 private key

async function code(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (e) {
    expect(e).toBeInstanceOf(KeyVaultError);
    return (e as KeyVaultError).code;
  }
}

describe("local key vault", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "vault-test-"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("seals and opens, bound to its context, with a 0600 master key file reused across vaults", async () => {
    const file = join(dir, "nested", "data-key");
    const vault = await createLocalKeyVault(file);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const sealed = await vault.seal(secret, "key-a");
    expect(Buffer.from(sealed).includes(Buffer.from(secret.subarray(0, 32)))).toBe(false);
    expect(await vault.open(sealed, "key-a")).toEqual(secret);
    expect(await code(vault.open(sealed, "key-b"))).toBe("ERR_VAULT_OPEN");
    const again = await createLocalKeyVault(file);
    expect(await again.open(sealed, "key-a")).toEqual(secret);
    const other = await createLocalKeyVault(join(dir, "other-key"));
    expect(await code(other.open(sealed, "key-a"))).toBe("ERR_VAULT_OPEN");
  });

  it("refuses any flipped bit and any truncation", async () => {
    const vault = await createLocalKeyVault(join(dir, "k2"));
    const sealed = await vault.seal(secret, "ctx");
    await fc.assert(
      fc.asyncProperty(fc.nat(sealed.length * 8 - 1), async (bit) => {
        const bad = sealed.slice();
        bad[bit >> 3]! ^= 1 << (bit & 7);
        expect(["ERR_VAULT_OPEN", "ERR_VAULT_FORMAT"]).toContain(await code(vault.open(bad, "ctx")));
      }),
      { numRuns: 200 },
    );
    for (const length of [0, 1, 2, 3, 20, 60]) {
      expect(["ERR_VAULT_FORMAT", "ERR_VAULT_OPEN"]).toContain(
        await code(vault.open(sealed.subarray(0, length), "ctx")),
      );
    }
  });

  it("refuses a key file of the wrong size or readable by others", async () => {
    const short = join(dir, "short");
    await writeFile(short, randomBytes(16), { mode: 0o600 });
    expect(await code(createLocalKeyVault(short))).toBe("ERR_VAULT_KEY_FILE");
    const open = join(dir, "open");
    await writeFile(open, randomBytes(32), { mode: 0o644 });
    expect(await code(createLocalKeyVault(open))).toBe("ERR_VAULT_KEY_FILE");
    expect((await readFile(open)).length).toBe(32);
  });
});

describe("KMS key vault against a KMS-protocol server", () => {
  let kmsServer: FakeKms;
  let kms: KMSClient;

  beforeAll(async () => {
    kmsServer = await startFakeKms();
    kms = new KMSClient({
      endpoint: kmsServer.endpoint,
      region: "eu-west-3",
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
    });
  });
  afterAll(async () => {
    kms?.destroy();
    await kmsServer?.stop();
  });

  it("seals with a KMS data key bound to the token key id, and opens only with the same id", async () => {
    const vault = createKmsKeyVault(kms, "alias/blindgate");
    const sealed = await vault.seal(secret, "key-1");
    expect(await vault.open(sealed, "key-1")).toEqual(secret);
    expect(kmsServer.contexts).toContainEqual({ purpose: "blindgate-token-key", context: "key-1" });
    expect(await code(vault.open(sealed, "key-2"))).toBe("ERR_VAULT_KMS");
  });
});
