import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { type FileHandle, mkdir, open, stat } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { DecryptCommand, GenerateDataKeyCommand, type KMSClient } from "@blindgate/aws-json/kms";

/*
 * Envelope encryption of token private keys at rest. Each sealed key has its own 256-bit data key:
 *
 *   sealed = 0x01 | u16 len(wrapped) | wrapped data key | iv (12) | AES-256-GCM(data key, pkcs8, aad) | tag (16)
 *   aad    = 0x01 | context (the token key id: a sealed key cannot be moved onto another record)
 *
 * On AWS the data key is generated and wrapped by KMS (GenerateDataKey / Decrypt, with an encryption context);
 * locally it is wrapped with AES-256-GCM under a master key kept in a file outside the repository.
 * Errors carry stable codes and never any key bytes.
 */

export interface KeyVault {
  seal(plaintext: Uint8Array, context: string): Promise<Uint8Array>;
  open(sealed: Uint8Array, context: string): Promise<Uint8Array>;
}

export type KeyVaultErrorCode =
  | "ERR_VAULT_FORMAT"
  | "ERR_VAULT_OPEN"
  | "ERR_VAULT_KEY_FILE"
  | "ERR_VAULT_KMS";

export class KeyVaultError extends Error {
  override name = "KeyVaultError";
  constructor(
    readonly code: KeyVaultErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const VERSION = 0x01;
const IV = 12;
const TAG = 16;
const KEY = 32;

interface DataKeys {
  /** A fresh data key: its plaintext (zeroed by the caller after use) and its wrapped form. */
  generate(context: string): Promise<{ plaintext: Buffer; wrapped: Uint8Array }>;
  unwrap(wrapped: Uint8Array, context: string): Promise<Buffer>;
}

function gcmEncrypt(key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Buffer {
  const iv = randomBytes(IV);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(aad);
  return Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

function gcmDecrypt(key: Uint8Array, box: Uint8Array, aad: Uint8Array): Buffer {
  if (box.length < IV + TAG) throw new KeyVaultError("ERR_VAULT_FORMAT", "sealed data too short");
  const iv = box.subarray(0, IV);
  const tag = box.subarray(box.length - TAG);
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, iv);
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(box.subarray(IV, box.length - TAG)), decipher.final()]);
  } catch {
    throw new KeyVaultError(
      "ERR_VAULT_OPEN",
      "sealed data does not open (tampered, or another key or context)",
    );
  }
}

function aadOf(context: string): Buffer {
  return Buffer.concat([Buffer.from([VERSION]), Buffer.from(context, "utf8")]);
}

function envelope(keys: DataKeys): KeyVault {
  return {
    async seal(plaintext, context) {
      const { plaintext: dataKey, wrapped } = await keys.generate(context);
      try {
        const box = gcmEncrypt(dataKey, plaintext, aadOf(context));
        const header = Buffer.alloc(3);
        header[0] = VERSION;
        header.writeUInt16BE(wrapped.length, 1);
        return new Uint8Array(Buffer.concat([header, wrapped, box]));
      } finally {
        dataKey.fill(0);
      }
    },
    async open(sealed, context) {
      if (sealed.length < 3 || sealed[0] !== VERSION) {
        throw new KeyVaultError("ERR_VAULT_FORMAT", "not a sealed key of a known version");
      }
      const length = (sealed[1]! << 8) | sealed[2]!;
      if (sealed.length < 3 + length + IV + TAG)
        throw new KeyVaultError("ERR_VAULT_FORMAT", "sealed data too short");
      const dataKey = await keys.unwrap(sealed.subarray(3, 3 + length), context);
      try {
        return new Uint8Array(gcmDecrypt(dataKey, sealed.subarray(3 + length), aadOf(context)));
      } finally {
        dataKey.fill(0);
      }
    },
  };
}

/** Where `npm start` keeps the local master key: outside the repository, in the user's config directory. */
export function defaultDataKeyFile(): string {
  const base = process.env.XDG_CONFIG_HOME ?? join(homedir(), ".config");
  return join(base, "blindgate", "data-key");
}

/**
 * Local mode: data keys wrapped under a 32-byte master key in `file` (created with mode 0600 when missing, in a
 * 0700 directory). Refuses a file of the wrong size or readable by others, a symbolic link (whoever can plant one
 * decides which bytes become the master key, or where a new one is written), anything but a regular file, and a
 * file in a directory that others can write (they could replace the file by their own key between two starts).
 */
export async function createLocalKeyVault(file: string): Promise<KeyVault> {
  const directory = dirname(file);
  await mkdir(directory, { recursive: true, mode: 0o700 });
  const dirInfo = await stat(directory).catch(() => {
    throw new KeyVaultError("ERR_VAULT_KEY_FILE", `${directory}: cannot be read`);
  });
  if ((dirInfo.mode & 0o022) !== 0) {
    throw new KeyVaultError(
      "ERR_VAULT_KEY_FILE",
      `${directory}: others can write to this directory (chmod go-w it, or keep the key elsewhere)`,
    );
  }
  const masterKey = (await readMasterKey(file)) ?? (await createMasterKey(file));
  return envelope({
    async generate(context) {
      const plaintext = randomBytes(KEY);
      return { plaintext, wrapped: gcmEncrypt(masterKey, plaintext, aadOf(`data-key:${context}`)) };
    },
    async unwrap(wrapped, context) {
      return gcmDecrypt(masterKey, wrapped, aadOf(`data-key:${context}`));
    },
  });
}

/** The master key in `file`, opened without following a link; undefined when there is no such file. */
async function readMasterKey(file: string): Promise<Buffer | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    if (code === "ELOOP") throw new KeyVaultError("ERR_VAULT_KEY_FILE", `${file}: a symbolic link`);
    throw new KeyVaultError("ERR_VAULT_KEY_FILE", `${file}: cannot be read`);
  }
  try {
    // What was opened is what is checked (fstat), so the file cannot be swapped between the check and the read.
    const info = await handle.stat();
    if (!info.isFile()) throw new KeyVaultError("ERR_VAULT_KEY_FILE", `${file}: not a regular file`);
    if ((info.mode & 0o077) !== 0) {
      throw new KeyVaultError("ERR_VAULT_KEY_FILE", `${file}: readable by others (chmod 600 it)`);
    }
    const master = await handle.readFile();
    if (master.length !== KEY) throw new KeyVaultError("ERR_VAULT_KEY_FILE", `${file}: not a 32-byte key`);
    return master;
  } catch (error) {
    if (error instanceof KeyVaultError) throw error;
    throw new KeyVaultError("ERR_VAULT_KEY_FILE", `${file}: cannot be read`);
  } finally {
    await handle.close();
  }
}

/** A new master key, written to a file that did not exist (never through a link); theirs if another was first. */
async function createMasterKey(file: string): Promise<Buffer> {
  const master = randomBytes(KEY);
  let handle: FileHandle;
  try {
    handle = await open(
      file,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      0o600,
    );
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") {
      const theirs = await readMasterKey(file); // created meanwhile by another process: use theirs
      if (theirs !== undefined) return theirs;
    }
    throw new KeyVaultError("ERR_VAULT_KEY_FILE", `${file}: cannot be created`);
  }
  try {
    await handle.writeFile(master);
    await handle.chmod(0o600); // whatever the umask did to the mode of the new file
    return master;
  } finally {
    await handle.close();
  }
}

/** On AWS: data keys from KMS, bound to the token key id by the encryption context. */
export function createKmsKeyVault(kms: KMSClient, keyId: string): KeyVault {
  const encryptionContext = (context: string) => ({ purpose: "blindgate-token-key", context });
  return envelope({
    async generate(context) {
      try {
        const out = await kms.send(
          new GenerateDataKeyCommand({
            KeyId: keyId,
            KeySpec: "AES_256",
            EncryptionContext: encryptionContext(context),
          }),
        );
        if (out.Plaintext?.length !== KEY || out.CiphertextBlob === undefined) throw new Error("shape");
        return { plaintext: Buffer.from(out.Plaintext), wrapped: out.CiphertextBlob };
      } catch {
        throw new KeyVaultError("ERR_VAULT_KMS", "KMS GenerateDataKey failed");
      }
    },
    async unwrap(wrapped, context) {
      let plaintext: Uint8Array | undefined;
      try {
        const out = await kms.send(
          new DecryptCommand({
            KeyId: keyId,
            CiphertextBlob: wrapped,
            EncryptionContext: encryptionContext(context),
          }),
        );
        plaintext = out.Plaintext;
      } catch {
        throw new KeyVaultError("ERR_VAULT_KMS", "KMS Decrypt failed");
      }
      if (plaintext?.length !== KEY) throw new KeyVaultError("ERR_VAULT_KMS", "KMS returned no data key");
      return Buffer.from(plaintext);
    },
  });
}
