import { DeleteItemCommand, type DynamoDBClient, UpdateItemCommand } from "@blindgate/aws-json/dynamodb";
import type { KeyStore, TokenKeyRecord } from "../types.js";
import { B, bin, N, num, putIfAbsent, S, scanAll, send, sendIf, str } from "./item.js";

/* Token keys on DynamoDB: one item per key, added once (conditional on its id), listed by a scan (a few items). */

export class DynamoKeyStore implements KeyStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
  ) {}

  async add(key: TokenKeyRecord): Promise<boolean> {
    return putIfAbsent(this.client, this.table, {
      pk: S(key.id),
      kind: S(key.kind),
      truncatedId: N(key.truncatedId),
      threshold: N(key.threshold),
      ...(key.ageBelow === undefined ? {} : { ageBelow: N(key.ageBelow) }),
      spki: B(key.spki),
      publishAt: N(key.publishAt),
      notBefore: N(key.notBefore),
      issueUntil: N(key.issueUntil),
      validUntil: N(key.validUntil),
      sealedPrivateKey: B(key.sealedPrivateKey),
      createdAt: N(key.createdAt),
      // TTL removes the record a day after its last token expired (code checks validUntil itself).
      ttl: N(key.validUntil + 86_400),
    });
  }

  async list(): Promise<TokenKeyRecord[]> {
    return (await scanAll(this.client, this.table)).map((item) => ({
      kind: item.kind?.S === "credit" ? "credit" : "token",
      id: str(item, "pk"),
      truncatedId: num(item, "truncatedId"),
      threshold: num(item, "threshold"),
      ...(item.ageBelow?.N === undefined ? {} : { ageBelow: num(item, "ageBelow") }),
      spki: bin(item, "spki"),
      publishAt: num(item, "publishAt"),
      notBefore: num(item, "notBefore"),
      issueUntil: num(item, "issueUntil"),
      validUntil: num(item, "validUntil"),
      sealedPrivateKey: bin(item, "sealedPrivateKey"),
      createdAt: num(item, "createdAt"),
      ...(item.retiredAt?.N === undefined ? {} : { retiredAt: num(item, "retiredAt") }),
    }));
  }

  async retire(id: string, at: number): Promise<boolean> {
    return sendIf(
      this.client,
      new UpdateItemCommand({
        TableName: this.table,
        Key: { pk: S(id) },
        UpdateExpression: "SET #r = :at",
        ConditionExpression: "attribute_exists(pk) AND attribute_not_exists(#r)",
        ExpressionAttributeNames: { "#r": "retiredAt" },
        ExpressionAttributeValues: { ":at": N(at) },
      }),
    );
  }

  async remove(id: string): Promise<void> {
    await send(this.client, new DeleteItemCommand({ TableName: this.table, Key: { pk: S(id) } }));
  }
}
