import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from "@blindgate/aws-json/dynamodb";
import type { AnnexCSecret } from "./annex-c.js";
import { SESSIONS_TABLE } from "./table.js";

/*
 * Presentation sessions: one per verify page, holding the request's nonce and state until the answer. Every step
 * is a conditional transition, so each nonce/state is answered at most once and each result collected at most once:
 *
 *   pending --claim--> checking --settle--> verified | refused --collect--> collected
 *
 * A session stores no presentation, no claim value beyond the threshold met, and no grant (the grant is signed
 * when the page collects the result, and goes to the page only). Times are epoch seconds.
 */

export type SessionStatus = "pending" | "checking" | "verified" | "refused" | "collected";

export interface PresentationSession {
  /** Random, 128 bits: the OpenID4VP `state` (the holder sees it). */
  readonly id: string;
  /** SHA-256 (hex) of the page's poll secret: only the page that started the session may collect its result. */
  readonly pollHash: string;
  /** The OpenID4VP nonce: the device signature covers it (through the session transcript). */
  readonly nonce: string;
  readonly walletOrigin: string;
  /** The wallet's `state`, sent back unchanged with the grant. */
  readonly walletState: string;
  readonly expiresAt: number;
  readonly status: SessionStatus;
  /**
   * The ISO 18013-7 Annex C request's encryptionInfo (as sent) and its per-session HPKE recipient key (a private
   * JWK made for this session only, to open its one answer; it lives as long as the session).
   */
  readonly annexC?: AnnexCSecret;
  /** The band the wallet asked for: only its two bounds are requested and read. */
  readonly band?: { readonly from: number; readonly below: number };
  /** When verified: the highest threshold met. */
  readonly ageOver?: number;
  /** When verified for a band: its upper end, and the UTC midnight before which it holds. */
  readonly ageBelow?: number;
  readonly belowUntil?: number;
  /** When refused: the error code. */
  readonly code?: string;
  /** When the holder's app answered an Authorization Error Response: its `error` (RFC 6749 charset, <= 64). */
  readonly walletError?: string;
  /** ... and its `error_description`, when it had one in that charset (<= 300). */
  readonly walletErrorDescription?: string;
}

export type SessionOutcome =
  | { ageOver: number; ageBelow?: number; belowUntil?: number }
  | { code: string; walletError?: string; walletErrorDescription?: string };

export interface SessionStore {
  create(session: PresentationSession): Promise<void>;
  get(id: string): Promise<PresentationSession | undefined>;
  /** pending -> checking, when not expired at `now`; false otherwise (answered already, or expired). */
  claim(id: string, now: number): Promise<boolean>;
  /** checking -> verified (ageOver) or refused (code). */
  settle(id: string, outcome: SessionOutcome): Promise<void>;
  /** verified|refused -> collected, once; false otherwise. */
  collect(id: string): Promise<boolean>;
}

/**
 * Sessions in this process's memory: local mode and tests (one process). Expired sessions are dropped on access.
 *
 * @example
 * ```ts
 * const sessions = new MemorySessionStore();
 * ```
 */
export class MemorySessionStore implements SessionStore {
  readonly #sessions = new Map<string, PresentationSession>();

  async create(session: PresentationSession): Promise<void> {
    if (this.#sessions.has(session.id)) throw new Error("session id collision");
    this.#sessions.set(session.id, session);
  }

  async get(id: string): Promise<PresentationSession | undefined> {
    return this.#sessions.get(id);
  }

  async claim(id: string, now: number): Promise<boolean> {
    const s = this.#sessions.get(id);
    if (s === undefined || s.status !== "pending" || s.expiresAt < now) return false;
    this.#sessions.set(id, { ...s, status: "checking" });
    return true;
  }

  async settle(id: string, outcome: SessionOutcome): Promise<void> {
    const s = this.#sessions.get(id);
    if (s === undefined || s.status !== "checking") return;
    this.#sessions.set(id, { ...s, ...outcome, status: "ageOver" in outcome ? "verified" : "refused" });
  }

  async collect(id: string): Promise<boolean> {
    const s = this.#sessions.get(id);
    if (s === undefined || (s.status !== "verified" && s.status !== "refused")) return false;
    this.#sessions.set(id, { ...s, status: "collected" });
    return true;
  }

  /** Drop sessions expired before `now` (call now and then; local mode does it on each new session). */
  sweep(now: number): void {
    for (const [id, s] of this.#sessions)
      if (s.expiresAt + SESSIONS_TABLE.ttlGraceSeconds < now) this.#sessions.delete(id);
  }
}

/**
 * Sessions in a DynamoDB table (table.ts: key `pk`, TTL attribute `ttl`), each transition one conditional write,
 * as the gateway's single-use stores do (functions/stores/dynamo/).
 *
 * @example
 * ```ts
 * const sessions = new DynamoSessionStore(new DynamoDBClient({}), process.env.EU_AV_SESSIONS_TABLE ?? "");
 * ```
 */
export class DynamoSessionStore implements SessionStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
  ) {}

  async create(s: PresentationSession): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.table,
        Item: {
          pk: { S: s.id },
          pollHash: { S: s.pollHash },
          nonce: { S: s.nonce },
          walletOrigin: { S: s.walletOrigin },
          walletState: { S: s.walletState },
          [SESSIONS_TABLE.ttlAttribute]: { N: String(s.expiresAt + SESSIONS_TABLE.ttlGraceSeconds) },
          expiresAt: { N: String(s.expiresAt) },
          status: { S: s.status },
          ...(s.band !== undefined
            ? { bandFrom: { N: String(s.band.from) }, bandBelow: { N: String(s.band.below) } }
            : {}),
          ...(s.annexC !== undefined
            ? { annexCInfo: { S: s.annexC.encryptionInfo }, annexCKey: { S: s.annexC.recipientKey } }
            : {}),
        },
        ConditionExpression: "attribute_not_exists(pk)",
      }),
    );
  }

  async get(id: string): Promise<PresentationSession | undefined> {
    const out = await this.client.send(
      new GetItemCommand({ TableName: this.table, Key: { pk: { S: id } }, ConsistentRead: true }),
    );
    const item = out.Item;
    if (item === undefined) return undefined;
    const str = (k: string) => item[k]?.S ?? "";
    return {
      id: str("pk"),
      pollHash: str("pollHash"),
      nonce: str("nonce"),
      walletOrigin: str("walletOrigin"),
      walletState: str("walletState"),
      expiresAt: Number(item.expiresAt?.N ?? 0),
      status: str("status") as SessionStatus,
      ...(item.annexCInfo?.S !== undefined && item.annexCKey?.S !== undefined
        ? { annexC: { encryptionInfo: item.annexCInfo.S, recipientKey: item.annexCKey.S } }
        : {}),
      ...(item.bandFrom?.N !== undefined && item.bandBelow?.N !== undefined
        ? { band: { from: Number(item.bandFrom.N), below: Number(item.bandBelow.N) } }
        : {}),
      ...(item.ageOver?.N !== undefined ? { ageOver: Number(item.ageOver.N) } : {}),
      ...(item.ageBelow?.N !== undefined ? { ageBelow: Number(item.ageBelow.N) } : {}),
      ...(item.belowUntil?.N !== undefined ? { belowUntil: Number(item.belowUntil.N) } : {}),
      ...(item.code?.S !== undefined ? { code: item.code.S } : {}),
      ...(item.walletError?.S !== undefined ? { walletError: item.walletError.S } : {}),
      ...(item.walletErrorDescription?.S !== undefined
        ? { walletErrorDescription: item.walletErrorDescription.S }
        : {}),
    };
  }

  async claim(id: string, now: number): Promise<boolean> {
    return this.transition(id, "#s = :pending AND expiresAt >= :now", "checking", {
      ":pending": { S: "pending" },
      ":now": { N: String(now) },
    });
  }

  async settle(id: string, outcome: SessionOutcome): Promise<void> {
    const verified = "ageOver" in outcome;
    const sets = ["#s = :to", verified ? "ageOver = :v" : "code = :v"];
    const values: Record<string, { S: string } | { N: string }> = {
      ":to": { S: verified ? "verified" : "refused" },
      ":v": verified ? { N: String(outcome.ageOver) } : { S: outcome.code },
      ":checking": { S: "checking" },
    };
    if (verified && outcome.ageBelow !== undefined && outcome.belowUntil !== undefined) {
      sets.push("ageBelow = :ab", "belowUntil = :bu");
      values[":ab"] = { N: String(outcome.ageBelow) };
      values[":bu"] = { N: String(outcome.belowUntil) };
    }
    if (!verified && outcome.walletError !== undefined) {
      sets.push("walletError = :we");
      values[":we"] = { S: outcome.walletError };
    }
    if (!verified && outcome.walletErrorDescription !== undefined) {
      sets.push("walletErrorDescription = :wd");
      values[":wd"] = { S: outcome.walletErrorDescription };
    }
    await this.client
      .send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { pk: { S: id } },
          UpdateExpression: `SET ${sets.join(", ")}`,
          ConditionExpression: "#s = :checking",
          ExpressionAttributeNames: { "#s": "status" },
          ExpressionAttributeValues: values,
        }),
      )
      .catch((error: unknown) => {
        if (!isConditionFailure(error)) throw error;
      });
  }

  async collect(id: string): Promise<boolean> {
    return this.transition(id, "#s IN (:verified, :refused)", "collected", {
      ":verified": { S: "verified" },
      ":refused": { S: "refused" },
    });
  }

  private async transition(
    id: string,
    condition: string,
    to: SessionStatus,
    values: Record<string, { S: string } | { N: string }>,
  ): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { pk: { S: id } },
          UpdateExpression: "SET #s = :to",
          ConditionExpression: `attribute_exists(pk) AND ${condition}`,
          ExpressionAttributeNames: { "#s": "status" },
          ExpressionAttributeValues: { ...values, ":to": { S: to } },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}

function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error instanceof Error && error.name === "ConditionalCheckFailedException")
  );
}
