import { readFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import * as z from "zod";
import { parseEuAvConfig } from "../providers/eu-av/config.js";
import { parseTrustedIacas, splitPemBundle } from "../providers/eu-av/trust.js";
import { ConfigError } from "./config.js";

/*
 * The EU AV provider stack's configuration: the `euAv` context object (cdk.json, or `-c euAv='{...}'` as JSON),
 * with the gateway's `stage`. Parsed with zod at synth, then the provider's own schema (providers/eu-av/config.ts)
 * checks the fields the function will parse again at cold start, and the trusted IACA bundle is read and parsed
 * here: a bad certificate stops the synth, not the first request.
 *
 *   npx cdk deploy blindgate-eu-av-prod -c stage=prod -c euAv='{"gatewayIssuer":"age.example.org",
 *     "walletOrigins":["https://wallet.age.example.org"],"trustedIacasFile":"config/iacas.pem",
 *     "grantKeySecretArn":"arn:aws:secretsmanager:eu-west-3:123456789012:secret:eu-av/grant-key-AbCdEf"}'
 */

/** A complete secret ARN (with the six-character suffix): IAM then names exactly that secret. */
const SECRET_ARN =
  /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]{1,505}-[A-Za-z0-9]{6}$/;
const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1827, 3653] as const;

const schema = z.strictObject({
  stage: z.string().regex(/^[a-z][a-z0-9-]{1,19}$/, "lower-case letters, digits and '-', 2 to 20 characters"),
  providerId: z.string().default("eu-av"),
  gatewayIssuer: z.string(),
  walletOrigins: z.preprocess((v) => (typeof v === "string" ? v.split(",") : v), z.array(z.string()).min(1)),
  /** https URL browsers and wallet apps use; default: the HTTP API's own endpoint. */
  publicUrl: z.string().optional(),
  /** PEM bundle of the trusted IACA certificates, relative to the repository root (or absolute). */
  trustedIacasFile: z.string().min(1),
  /** The Secrets Manager secret whose SecretString is the grant key's private JWK. */
  grantKeySecretArn: z.string().regex(SECRET_ARN, "a complete Secrets Manager secret ARN (ending -XXXXXX)"),
  thresholds: z.array(z.number()).optional(),
  maxTokens: z.number().optional(),
  grantTtlSeconds: z.number().optional(),
  sessionTtlSeconds: z.number().optional(),
  memoryMb: z.coerce.number().int().min(128).max(3008).default(512),
  /** The HTTP API stage's throttle (requests per second, burst). */
  rateLimit: z.coerce.number().positive().max(10_000).default(50),
  burstLimit: z.coerce.number().int().positive().max(5_000).default(100),
  logRetentionDays: z.coerce
    .number()
    .refine((d) => (RETENTION_DAYS as readonly number[]).includes(d), "a CloudWatch Logs retention period")
    .default(30),
  /** Retain the sessions table on stack deletion (default: stages starting with "prod"). */
  protectData: z.boolean().optional(),
});

export type EuAvStackConfigInput = z.input<typeof schema>;

export interface EuAvStackConfig {
  readonly stage: string;
  readonly providerId: string;
  readonly gatewayIssuer: string;
  readonly walletOrigins: readonly string[];
  readonly publicUrl: string | undefined;
  readonly trustedIacasFile: string;
  /** The bundle's text, checked: every certificate a CA. */
  readonly trustedIacasPem: string;
  readonly grantKeySecretArn: string;
  /** The provider's variables beyond the required ones (thresholds, token count, lifetimes), as strings. */
  readonly tuning: Readonly<Record<string, string>>;
  readonly memoryMb: number;
  readonly rateLimit: number;
  readonly burstLimit: number;
  readonly logRetentionDays: number;
  readonly protectData: boolean;
}

/** Parse the stack's configuration; ConfigError naming the field on anything wrong. */
export function parseEuAvStackConfig(raw: unknown, repoRoot: string): EuAvStackConfig {
  const result = schema.safeParse(raw);
  if (!result.success) {
    const fields = result.error.issues.map((i) => i.path.join("."));
    const detail = result.error.issues.map((i) => `${i.path.join(".") || "euAv"}: ${i.message}`).join("; ");
    throw new ConfigError(`eu-av stack configuration: ${detail}`, fields);
  }
  const c = result.data;
  // The provider's own schema, on what the function will read (the API's endpoint stands in for publicUrl).
  try {
    parseEuAvConfig({
      providerId: c.providerId,
      gatewayIssuer: c.gatewayIssuer,
      walletOrigins: c.walletOrigins,
      publicUrl: c.publicUrl ?? "https://api.example",
      ...(c.thresholds !== undefined ? { thresholds: c.thresholds } : {}),
      ...(c.maxTokens !== undefined ? { maxTokens: c.maxTokens } : {}),
      ...(c.grantTtlSeconds !== undefined ? { grantTtlSeconds: c.grantTtlSeconds } : {}),
      ...(c.sessionTtlSeconds !== undefined ? { sessionTtlSeconds: c.sessionTtlSeconds } : {}),
    });
  } catch (error) {
    const issues = error instanceof z.ZodError ? error.issues : [];
    const fields = issues.map((i) => String(i.path[0]));
    throw new ConfigError(
      `eu-av stack configuration: ${issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
      fields,
    );
  }
  const path = isAbsolute(c.trustedIacasFile) ? c.trustedIacasFile : join(repoRoot, c.trustedIacasFile);
  let pem: string;
  try {
    pem = readFileSync(path, "utf8");
    parseTrustedIacas(splitPemBundle(pem));
  } catch (error) {
    const why = error instanceof TypeError ? error.message : "cannot be read or does not parse";
    throw new ConfigError(`eu-av stack configuration: trustedIacasFile: ${why}`, ["trustedIacasFile"]);
  }
  const tuning: Record<string, string> = {};
  if (c.thresholds !== undefined) tuning.EU_AV_THRESHOLDS = c.thresholds.join(",");
  if (c.maxTokens !== undefined) tuning.EU_AV_MAX_TOKENS = String(c.maxTokens);
  if (c.grantTtlSeconds !== undefined) tuning.EU_AV_GRANT_TTL = String(c.grantTtlSeconds);
  if (c.sessionTtlSeconds !== undefined) tuning.EU_AV_SESSION_TTL = String(c.sessionTtlSeconds);
  return {
    stage: c.stage,
    providerId: c.providerId,
    gatewayIssuer: c.gatewayIssuer,
    walletOrigins: c.walletOrigins,
    publicUrl: c.publicUrl,
    trustedIacasFile: path,
    trustedIacasPem: pem,
    grantKeySecretArn: c.grantKeySecretArn,
    tuning,
    memoryMb: c.memoryMb,
    rateLimit: c.rateLimit,
    burstLimit: c.burstLimit,
    logRetentionDays: c.logRetentionDays,
    protectData: c.protectData ?? c.stage.startsWith("prod"),
  };
}

/** The raw configuration from an app's context: `euAv` (object or JSON text) and the gateway's `stage`. */
export function euAvConfigFromContext(
  tryGetContext: (key: string) => unknown,
): Record<string, unknown> | undefined {
  let base = tryGetContext("euAv");
  if (base === undefined) return undefined;
  if (typeof base === "string") {
    try {
      base = JSON.parse(base);
    } catch {
      throw new ConfigError("eu-av stack configuration: euAv: not a JSON object", ["euAv"]);
    }
  }
  const gateway = tryGetContext("blindgate") as { stage?: unknown } | undefined;
  const stage = tryGetContext("stage") ?? gateway?.stage ?? "dev";
  return { stage, ...(typeof base === "object" && base !== null ? base : {}) };
}
