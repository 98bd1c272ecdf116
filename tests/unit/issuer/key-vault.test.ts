import { randomBytes } from "node:crypto";
import { chmod, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
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

  it("refuses a key file that is a symbolic link, and never writes a new key through one", async () => {
    const real = join(dir, "real-key");
    await writeFile(real, randomBytes(32), { mode: 0o600 });
    const link = join(dir, "linked-key");
    await symlink(real, link);
    expect(await code(createLocalKeyVault(link))).toBe("ERR_VAULT_KEY_FILE");
    // a dangling link where the key would be created: refused, and nothing is written at its target
    const target = join(dir, "planted-target");
    const dangling = join(dir, "dangling-key");
    await symlink(target, dangling);
    expect(await code(createLocalKeyVault(dangling))).toBe("ERR_VAULT_KEY_FILE");
    await expect(stat(target)).rejects.toThrow();
  });

  it("refuses a key file in a directory others can write, whether the file exists or not", async () => {
    const shared = join(dir, "shared");
    await mkdir(shared);
    await chmod(shared, 0o777);
    const existing = join(shared, "key");
    await writeFile(existing, randomBytes(32), { mode: 0o600 });
    expect(await code(createLocalKeyVault(existing))).toBe("ERR_VAULT_KEY_FILE");
    expect(await code(createLocalKeyVault(join(shared, "new-key")))).toBe("ERR_VAULT_KEY_FILE");
    await expect(stat(join(shared, "new-key"))).rejects.toThrow();
    await chmod(shared, 0o1777); // sticky, as /tmp: others still create names in it first
    expect(await code(createLocalKeyVault(existing))).toBe("ERR_VAULT_KEY_FILE");
    await chmod(shared, 0o700);
    expect(await code(createLocalKeyVault(existing))).toBeUndefined();
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
