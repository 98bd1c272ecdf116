import * as z from "zod";
import { EuAvConfigError } from "./errors.js";
import { parseBand } from "./request.js";
import { DEFAULT_THRESHOLDS, type EuAvConfig } from "./service.js";

/*
 * The provider's configuration, parsed strictly (zod) from local-mode options or the Lambda environment:
 *
 *   EU_AV_PROVIDER_ID       provider id registered with the gateway (grants' iss)
 *   EU_AV_GATEWAY_ISSUER    the gateway's issuer name (grants' aud)
 *   EU_AV_WALLET_ORIGINS    comma-separated wallet origins served
 *   EU_AV_PUBLIC_URL        https URL of this provider (response_uri and DC API origin derive from it)
 *   EU_AV_TRUSTED_IACAS     PEM bundle of trusted IACA certificates
 *   EU_AV_THRESHOLDS        comma-separated thresholds attested (default 13,15,16,18,21)
 *   EU_AV_MAX_TOKENS        tokens per grant (default 30), EU_AV_GRANT_TTL (120 s), EU_AV_SESSION_TTL (300 s)
 *   EU_AV_SESSIONS_PER_MINUTE  sessions one client address may open per minute (default 10)
 *   EU_AV_BANDS             bands a wallet may ask for, "from-below" comma-separated (default 13-16,16-18,13-18)
 *
 * and, read by the deployed entry (lambda.ts):
 *
 *   EU_AV_GRANT_KEY_SECRET_ARN  ARN of the Secrets Manager secret holding the grant key's private JWK (deployed)
 *   EU_AV_GRANT_KEY             or the private JWK itself (tests and local runs only: never in a template)
 *   EU_AV_TRUSTED_IACAS_FILE    instead of EU_AV_TRUSTED_IACAS: a PEM bundle file in the function's package
 *   EU_AV_SESSIONS_TABLE        DynamoDB table of presentation sessions (table.ts); DYNAMO_ENDPOINT for local
 */

const origin = z.string().refine((s) => {
  try {
    const u = new URL(s);
    return (u.protocol === "https:" || u.protocol === "http:") && u.origin === s;
  } catch {
    return false;
  }
}, "must be an http(s) origin");

export const euAvConfigSchema = z.strictObject({
  providerId: z.string().regex(/^[\x21-\x7e]{1,128}$/),
  gatewayIssuer: z.string().min(1).max(253),
  walletOrigins: z.array(origin).min(1),
  publicUrl: z
    .url({ protocol: /^https?$/ })
    .transform((s) => s.replace(/\/+$/, ""))
    .refine((s) => !new URL(s).search && !new URL(s).hash, "no query or fragment"),
  thresholds: z
    .array(z.int().min(1).max(150))
    .min(1)
    .default([...DEFAULT_THRESHOLDS]),
  maxTokens: z.int().min(1).max(1000).default(30),
  grantTtlSeconds: z.int().min(1).max(600).default(120),
  sessionTtlSeconds: z.int().min(30).max(3600).default(300),
  sessionsPerMinute: z.int().min(1).max(10_000).default(10),
  /** Bands [from, below) a wallet may ask for (read from age_over_<from> true and age_over_<below> false). */
  bands: z
    .array(
      z
        .object({ from: z.int().min(1).max(149), below: z.int().min(2).max(150) })
        .refine((b) => b.below > b.from),
    )
    .default([
      { from: 13, below: 16 },
      { from: 16, below: 18 },
      { from: 13, below: 18 },
    ]),
  /** Local mode only: the TEST wallet of npm start, linked from the page for a same-device answer. */
  testWalletUrl: z.url({ protocol: /^https?$/ }).optional(),
});

export type EuAvConfigInput = z.input<typeof euAvConfigSchema>;

/** Parse a configuration (defaults filled in); throws a ZodError naming the bad field. */
export function parseEuAvConfig(input: EuAvConfigInput): EuAvConfig {
  return euAvConfigSchema.parse(input);
}

const list = (s: string | undefined) =>
  (s ?? "")
    .split(",")
    .map((x) => x.trim())
    .filter((x) => x.length > 0);
const num = (s: string | undefined) => (s === undefined || s === "" ? undefined : Number(s));

/** The environment variable of each configuration field. */
export const CONFIG_ENV: Readonly<Record<keyof EuAvConfig, string>> = {
  providerId: "EU_AV_PROVIDER_ID",
  gatewayIssuer: "EU_AV_GATEWAY_ISSUER",
  walletOrigins: "EU_AV_WALLET_ORIGINS",
  publicUrl: "EU_AV_PUBLIC_URL",
  thresholds: "EU_AV_THRESHOLDS",
  maxTokens: "EU_AV_MAX_TOKENS",
  grantTtlSeconds: "EU_AV_GRANT_TTL",
  sessionTtlSeconds: "EU_AV_SESSION_TTL",
  sessionsPerMinute: "EU_AV_SESSIONS_PER_MINUTE",
  bands: "EU_AV_BANDS",
  testWalletUrl: "(local only)",
};

/** The configuration from the environment (Lambda); EuAvConfigError naming the first bad variable. */
export function euAvConfigFromEnv(env: Record<string, string | undefined> = process.env): EuAvConfig {
  const optional = <T>(key: string, value: T | undefined) => (value === undefined ? {} : { [key]: value });
  const result = euAvConfigSchema.safeParse({
    providerId: env.EU_AV_PROVIDER_ID ?? "",
    gatewayIssuer: env.EU_AV_GATEWAY_ISSUER ?? "",
    walletOrigins: list(env.EU_AV_WALLET_ORIGINS),
    publicUrl: env.EU_AV_PUBLIC_URL ?? "",
    ...optional("thresholds", env.EU_AV_THRESHOLDS ? list(env.EU_AV_THRESHOLDS).map(Number) : undefined),
    ...optional("maxTokens", num(env.EU_AV_MAX_TOKENS)),
    ...optional("grantTtlSeconds", num(env.EU_AV_GRANT_TTL)),
    ...optional("sessionTtlSeconds", num(env.EU_AV_SESSION_TTL)),
    ...optional("sessionsPerMinute", num(env.EU_AV_SESSIONS_PER_MINUTE)),
    ...optional("bands", env.EU_AV_BANDS ? list(env.EU_AV_BANDS).map(parseBand) : undefined),
  });
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path[0] as keyof EuAvConfig | undefined;
  const variable = field !== undefined && field in CONFIG_ENV ? CONFIG_ENV[field] : "EU_AV_*";
  const value = field !== undefined ? env[variable] : undefined;
  // zod's messages describe the expected shape ("Invalid URL", "Too small: ..."), never the value itself.
  throw new EuAvConfigError(
    variable,
    value === undefined || value === "" ? "is missing" : `is not valid (${issue?.message ?? "bad value"})`,
  );
}
