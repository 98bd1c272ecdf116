import { KMSClient } from "@blindgate/aws-json/kms";
import type { GatewayConfig } from "../config.js";
import { depsFromEnv } from "../runtime.js";
import { createKmsKeyVault, createLocalKeyVault, type KeyVault } from "./key-vault.js";

/*
 * The key vault of the functions that sign or rotate keys (issue, rotate-keys, the admin CLI): KMS on AWS, the
 * local master key file otherwise. Only these import KMS.
 */

export async function vaultFromEnv(config: GatewayConfig): Promise<KeyVault> {
  if (config.kmsKeyId !== undefined) return createKmsKeyVault(new KMSClient({}), config.kmsKeyId);
  if (config.dataKeyFile !== undefined) return createLocalKeyVault(config.dataKeyFile);
  throw new Error("blindgate configuration: no key vault (BLINDGATE_KMS_KEY_ID or BLINDGATE_DATA_KEY_FILE)");
}

/** Deps from the environment, with the key vault. */
export const signingDepsFromEnv = () => depsFromEnv(process.env, vaultFromEnv);
