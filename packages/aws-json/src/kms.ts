import { AwsJsonClient, type AwsJsonClientConfig, AwsServiceError } from "./client.js";

/*
 * The gateway's KMS client. The functions call exactly two KMS operations (functions/issuer/key-vault.ts):
 * Decrypt (issue) and GenerateDataKey (rotate-keys), and map every failure to one error code (ERR_VAULT_KMS).
 * The SDK's KMS client carries the models, error classes and schemas of all 50-odd KMS operations: 27 KiB of
 * every bundle that uses it. This one speaks the same wire protocol (AWS JSON 1.1, TrentService) through one
 * signed call (client.ts); tests/unit/aws-json/kms.test.ts holds it to the SDK's on the wire.
 */

export interface KmsEncryptionContext {
  readonly [key: string]: string;
}

export interface DecryptCommandInput {
  readonly KeyId?: string;
  readonly CiphertextBlob: Uint8Array | undefined;
  readonly EncryptionContext?: KmsEncryptionContext;
}

export interface GenerateDataKeyCommandInput {
  readonly KeyId: string | undefined;
  readonly KeySpec?: "AES_256" | "AES_128";
  readonly NumberOfBytes?: number;
  readonly EncryptionContext?: KmsEncryptionContext;
}

interface KmsOutput {
  KeyId?: string;
  Plaintext?: Uint8Array;
  CiphertextBlob?: Uint8Array;
}

abstract class KmsCommand<I> {
  abstract readonly operation: "Decrypt" | "GenerateDataKey";
  constructor(readonly input: I) {}
}

export class DecryptCommand extends KmsCommand<DecryptCommandInput> {
  readonly operation = "Decrypt";
}

export class GenerateDataKeyCommand extends KmsCommand<GenerateDataKeyCommandInput> {
  readonly operation = "GenerateDataKey";
}

/** What KMS answered when it refused (the SDK's ServiceException shape: name = the error type). */
export { AwsServiceError as KmsServiceError };

const KMS = {
  name: "kms",
  envName: "KMS",
  targetPrefix: "TrentService",
  contentType: "application/x-amz-json-1.1",
  blobFields: new Set(["Plaintext", "CiphertextBlob"]),
} as const;

export class KMSClient {
  private readonly client: AwsJsonClient;

  constructor(config: AwsJsonClientConfig = {}) {
    this.client = new AwsJsonClient(KMS, config);
  }

  async send(command: DecryptCommand | GenerateDataKeyCommand): Promise<KmsOutput> {
    return (await this.client.call(command.operation, command.input)) as KmsOutput;
  }

  destroy(): void {
    this.client.destroy();
  }
}
