import {
  type AgeInterval,
  DEFAULT_BANDS,
  intervalKey,
  isBand,
  parseIntervalList,
} from "@blindgate/sdk/protocol";
import * as z from "zod/mini";
import { TABLE_IDS, TABLES, type TableNames } from "./stores/schema.js";

/*
 * The functions' configuration, from the environment (set by the CDK stack on AWS, by functions/local locally).
 * Parsed once per container; a wrong value stops the cold start with a message naming the variable.
 * zod/mini (not classic zod) keeps every Lambda bundle about 70 KB smaller.
 */

const text = (min: number, max = 2048) => z.string().check(z.minLength(min), z.maxLength(max));

const thresholds = z
  .pipe(
    z.string().check(z.regex(/^\d{1,3}(,\d{1,3})*$/, "comma-separated ages")),
    z.transform((s: string) => [...new Set(s.split(",").map(Number))].sort((a, b) => a - b)),
  )
  .check(z.refine((list: number[]) => list.every((n) => n >= 1 && n <= 150), "ages between 1 and 150"));

const bands = z.pipe(
  z.string().check(z.maxLength(256)),
  z.transform((s: string, ctx) => {
    try {
      const list = parseIntervalList(s);
      if (list.every(isBand)) return list;
    } catch {
      // a malformed item: answered below, as a threshold among the bands is
    }
    ctx.issues.push({
      code: "custom",
      message: 'comma-separated bands "FROM-BELOW", such as 13-16',
      input: s,
    });
    return z.NEVER;
  }),
);

const positive = (fallback: number) => z._default(z.coerce.number().check(z.positive()), fallback);

const env = z.object({
  BLINDGATE_ISSUER_NAME: text(1, 255),
  BLINDGATE_ISSUER_URL: z.url(),
  ...Object.fromEntries(TABLE_IDS.map((id) => [TABLES[id].env, text(3)])),
  BLINDGATE_KMS_KEY_ID: z.optional(text(1)),
  BLINDGATE_DATA_KEY_FILE: z.optional(text(1)),
  BLINDGATE_THRESHOLDS: z._default(thresholds, [13, 15, 16, 18, 21]),
  /** Age bands [from, below), "13-16,16-18,13-18": a key each, on the short band epochs below. "" for none. */
  BLINDGATE_BANDS: z._default(bands, [...DEFAULT_BANDS]),
  /**
   * How long a band key issues tokens. Short, because a band token must die before its holder's birthday: the
   * last band tokens before a birthday end less than one band epoch before it (docs/threat-model.md).
   */
  BLINDGATE_BAND_KEY_EPOCH_HOURS: positive(24),
  /** How long a band token stays valid after its key stopped issuing (a band token lives 24 to 48 hours). */
  BLINDGATE_BAND_TOKEN_VALIDITY_HOURS: positive(24),
  /** How long a band credit key issues credentials. */
  BLINDGATE_BAND_CREDIT_EPOCH_DAYS: positive(7),
  /** How long band credentials stay usable after their key stopped issuing (a band credential lives 21 to 28 days). */
  BLINDGATE_BAND_CREDIT_VALIDITY_DAYS: positive(21),
  /** Most band tokens one grant, or one refill, buys (resale bound). */
  BLINDGATE_BAND_TOKENS_PER_GRANT: z._default(
    z.coerce.number().check(z.int(), z.minimum(0), z.maximum(1000)),
    10,
  ),
  /** Credits a band credential holds (within the grant's max_tokens): band tokens for that many visits. */
  BLINDGATE_BAND_CREDITS_PER_GRANT: z._default(
    z.coerce.number().check(z.int(), z.minimum(0), z.maximum(255)),
    30,
  ),
  /** How long a key issues tokens. */
  BLINDGATE_KEY_EPOCH_HOURS: positive(24 * 7),
  /** How long a token stays valid after its key stopped issuing (the wallet's batches are used within it). */
  BLINDGATE_TOKEN_VALIDITY_HOURS: positive(24 * 7),
  /** Longest grant lifetime accepted (exp - iat). */
  BLINDGATE_GRANT_MAX_TTL_SECONDS: positive(600),
  /** Largest number of TokenRequests in one batch. */
  BLINDGATE_MAX_BATCH: positive(100),
  /** How long a credit-credential key issues credentials. */
  BLINDGATE_CREDIT_EPOCH_DAYS: positive(30),
  /** How long credentials stay usable after their key stopped issuing (a credential lives 60 to 90 days). */
  BLINDGATE_CREDIT_VALIDITY_DAYS: positive(60),
  /** Credits a grant buys (within its max_tokens): tokens for that many future visits. At most 255. */
  BLINDGATE_CREDITS_PER_GRANT: z._default(z.coerce.number().check(z.int(), z.minimum(0), z.maximum(255)), 60),
  /** Most tokens one refill buys. */
  BLINDGATE_REFILL_MAX: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(100)), 10),
  /**
   * Shortest time, in milliseconds, between two sends of the report counts a container holds
   * (services/report-counts.ts): they go out at the start of a later request, beside its own work, so a busy
   * container sends one counter write per interval, not per request. 0: every request sends what is held.
   */
  BLINDGATE_REPORT_FLUSH_MS: z._default(
    z.coerce.number().check(z.int(), z.minimum(0), z.maximum(60_000)),
    1000,
  ),
  /** DynamoDB endpoint override (local mode and tests). */
  BLINDGATE_DYNAMODB_ENDPOINT: z.optional(z.url()),
});

export interface GatewayConfig {
  /** Issuer name: the host name in TokenChallenges and the `aud` of grants. */
  readonly issuerName: string;
  /** Public base URL of the gateway (no trailing slash). */
  readonly issuerUrl: string;
  readonly tables: TableNames;
  readonly kmsKeyId: string | undefined;
  readonly dataKeyFile: string | undefined;
  readonly thresholds: readonly number[];
  /** Bands with keys of their own ([from, below), below set). */
  readonly bands: readonly AgeInterval[];
  readonly bandKeyEpochSeconds: number;
  readonly bandTokenValiditySeconds: number;
  readonly bandCreditEpochSeconds: number;
  readonly bandCreditValiditySeconds: number;
  readonly bandTokensPerGrant: number;
  readonly bandCreditsPerGrant: number;
  readonly keyEpochSeconds: number;
  readonly tokenValiditySeconds: number;
  readonly grantMaxTtlSeconds: number;
  readonly maxBatch: number;
  readonly creditEpochSeconds: number;
  readonly creditValiditySeconds: number;
  readonly creditsPerGrant: number;
  readonly refillMax: number;
  /** See BLINDGATE_REPORT_FLUSH_MS. */
  readonly reportFlushMs: number;
  readonly dynamoEndpoint: string | undefined;
}

/** Parse the configuration from an environment. Throws an Error naming every bad variable. */
export function parseConfig(source: Record<string, string | undefined> = process.env): GatewayConfig {
  const result = env.safeParse(source);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`blindgate configuration: ${problems}`);
  }
  const e = result.data;
  return {
    issuerName: e.BLINDGATE_ISSUER_NAME,
    issuerUrl: e.BLINDGATE_ISSUER_URL.replace(/\/+$/, ""),
    tables: Object.fromEntries(
      TABLE_IDS.map((id) => [id, (e as Record<string, unknown>)[TABLES[id].env] as string]),
    ) as TableNames,
    kmsKeyId: e.BLINDGATE_KMS_KEY_ID,
    dataKeyFile: e.BLINDGATE_DATA_KEY_FILE,
    thresholds: e.BLINDGATE_THRESHOLDS,
    bands: e.BLINDGATE_BANDS,
    bandKeyEpochSeconds: Math.round(e.BLINDGATE_BAND_KEY_EPOCH_HOURS * 3600),
    bandTokenValiditySeconds: Math.round(e.BLINDGATE_BAND_TOKEN_VALIDITY_HOURS * 3600),
    bandCreditEpochSeconds: Math.round(e.BLINDGATE_BAND_CREDIT_EPOCH_DAYS * 86_400),
    bandCreditValiditySeconds: Math.round(e.BLINDGATE_BAND_CREDIT_VALIDITY_DAYS * 86_400),
    bandTokensPerGrant: e.BLINDGATE_BAND_TOKENS_PER_GRANT,
    bandCreditsPerGrant: e.BLINDGATE_BAND_CREDITS_PER_GRANT,
    keyEpochSeconds: Math.round(e.BLINDGATE_KEY_EPOCH_HOURS * 3600),
    tokenValiditySeconds: Math.round(e.BLINDGATE_TOKEN_VALIDITY_HOURS * 3600),
    grantMaxTtlSeconds: e.BLINDGATE_GRANT_MAX_TTL_SECONDS,
    maxBatch: e.BLINDGATE_MAX_BATCH,
    creditEpochSeconds: Math.round(e.BLINDGATE_CREDIT_EPOCH_DAYS * 86_400),
    creditValiditySeconds: Math.round(e.BLINDGATE_CREDIT_VALIDITY_DAYS * 86_400),
    creditsPerGrant: e.BLINDGATE_CREDITS_PER_GRANT,
    refillMax: e.BLINDGATE_REFILL_MAX,
    reportFlushMs: e.BLINDGATE_REPORT_FLUSH_MS,
    dynamoEndpoint: e.BLINDGATE_DYNAMODB_ENDPOINT,
  };
}

/** The environment that {@link parseConfig} reads back as `config` (local mode and tests start handlers this way). */
export function configToEnv(config: GatewayConfig): Record<string, string> {
  const out: Record<string, string> = {
    BLINDGATE_ISSUER_NAME: config.issuerName,
    BLINDGATE_ISSUER_URL: config.issuerUrl,
    ...Object.fromEntries(TABLE_IDS.map((id) => [TABLES[id].env, config.tables[id]])),
    BLINDGATE_THRESHOLDS: config.thresholds.join(","),
    BLINDGATE_BANDS: config.bands.map(intervalKey).join(","),
    BLINDGATE_BAND_KEY_EPOCH_HOURS: String(config.bandKeyEpochSeconds / 3600),
    BLINDGATE_BAND_TOKEN_VALIDITY_HOURS: String(config.bandTokenValiditySeconds / 3600),
    BLINDGATE_BAND_CREDIT_EPOCH_DAYS: String(config.bandCreditEpochSeconds / 86_400),
    BLINDGATE_BAND_CREDIT_VALIDITY_DAYS: String(config.bandCreditValiditySeconds / 86_400),
    BLINDGATE_BAND_TOKENS_PER_GRANT: String(config.bandTokensPerGrant),
    BLINDGATE_BAND_CREDITS_PER_GRANT: String(config.bandCreditsPerGrant),
    BLINDGATE_KEY_EPOCH_HOURS: String(config.keyEpochSeconds / 3600),
    BLINDGATE_TOKEN_VALIDITY_HOURS: String(config.tokenValiditySeconds / 3600),
    BLINDGATE_GRANT_MAX_TTL_SECONDS: String(config.grantMaxTtlSeconds),
    BLINDGATE_MAX_BATCH: String(config.maxBatch),
    BLINDGATE_CREDIT_EPOCH_DAYS: String(config.creditEpochSeconds / 86_400),
    BLINDGATE_CREDIT_VALIDITY_DAYS: String(config.creditValiditySeconds / 86_400),
    BLINDGATE_CREDITS_PER_GRANT: String(config.creditsPerGrant),
    BLINDGATE_REFILL_MAX: String(config.refillMax),
    BLINDGATE_REPORT_FLUSH_MS: String(config.reportFlushMs),
  };
  if (config.kmsKeyId !== undefined) out.BLINDGATE_KMS_KEY_ID = config.kmsKeyId;
  if (config.dataKeyFile !== undefined) out.BLINDGATE_DATA_KEY_FILE = config.dataKeyFile;
  if (config.dynamoEndpoint !== undefined) out.BLINDGATE_DYNAMODB_ENDPOINT = config.dynamoEndpoint;
  return out;
}
