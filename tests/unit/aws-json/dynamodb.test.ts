import * as sdk from "@aws-sdk/client-dynamodb";
import { CALL_LIMITS } from "@blindgate/aws-json";
import * as slim from "@blindgate/aws-json/dynamodb";
import { describe, expect, it } from "vitest";
import { serverForFile, TEST_CREDENTIALS } from "./support/aws-json-server.js";

/*
 * The gateway's DynamoDB client (@blindgate/aws-json/dynamodb) and the SDK's, sent the same commands as the
 * stores send (conditional put, get, update, query, scan): the same operation and JSON on the wire, both
 * signatures valid (checked independently), the same answers decoded (binary attributes as bytes), and a failed
 * condition recognisable the way functions/stores/dynamo/item.ts tests it. The whole flow on DynamoDB Local runs
 * in tests/integration/infra/bundles.test.ts.
 */

const server = serverForFile("dynamodb", "application/x-amz-json-1.0", "AWS_ENDPOINT_URL_DYNAMODB");

const bytes = new Uint8Array([0, 1, 2, 253, 254, 255]);

type Ctor = new (input: never) => unknown;

/** The same command through both clients; returns both outputs. */
async function both(Slim: Ctor, Sdk: Ctor, input: object) {
  const ours = await new slim.DynamoDBClient().send(new Slim(input as never) as never);
  const theirs = await new sdk.DynamoDBClient({}).send(new Sdk(input as never) as never);
  expect(server.seen).toHaveLength(2);
  expect(server.seen[0]).toEqual(server.seen[1]);
  expect(server.seen[0]?.signatureOk).toBe(true);
  return {
    ours: ours as unknown as Record<string, unknown>,
    theirs: theirs as unknown as Record<string, unknown>,
  };
}

describe("the gateway's DynamoDB client", () => {
  it.each([
    [
      "PutItem",
      slim.PutItemCommand,
      sdk.PutItemCommand,
      {
        TableName: "spent",
        Item: { pk: { S: "t1" }, ttl: { N: "1700000000" }, k: { B: bytes } },
        ConditionExpression: "attribute_not_exists(pk) OR #t < :now",
        ExpressionAttributeNames: { "#t": "ttl" },
        ExpressionAttributeValues: { ":now": { N: "1600000000" } },
      },
    ],
    [
      "UpdateItem",
      slim.UpdateItemCommand,
      sdk.UpdateItemCommand,
      {
        TableName: "providers",
        Key: { pk: { S: "p1" } },
        UpdateExpression: "ADD used :n",
        ConditionExpression: "used <= :max",
        ExpressionAttributeValues: { ":n": { N: "3" }, ":max": { N: "97" } },
      },
    ],
    [
      "Query",
      slim.QueryCommand,
      sdk.QueryCommand,
      {
        TableName: "keyLog",
        KeyConditionExpression: "pk = :p",
        ExpressionAttributeValues: { ":p": { S: "log" } },
        ScanIndexForward: false,
        Limit: 1,
      },
    ],
    ["Scan", slim.ScanCommand, sdk.ScanCommand, { TableName: "keys", ConsistentRead: true }],
    [
      "DeleteItem",
      slim.DeleteItemCommand,
      sdk.DeleteItemCommand,
      { TableName: "keys", Key: { pk: { S: "k1" } } },
    ],
  ] as [string, Ctor, Ctor, object][])("sends %s as the SDK does", async (name, Slim, Sdk, input) => {
    await both(Slim, Sdk, input);
    expect(server.seen[0]?.target).toBe(`DynamoDB_20120810.${name}`);
  });

  it("decodes items as the SDK does: binary attributes as bytes, nested too", async () => {
    const item = {
      pk: { S: "site" },
      n: { N: "42" },
      key: { B: Buffer.from(bytes).toString("base64") },
      set: { BS: [Buffer.from(bytes).toString("base64")] },
      m: { M: { B: { S: "an attribute named B" }, inner: { B: Buffer.from(bytes).toString("base64") } } },
    };
    server.answer = { status: 200, body: { Item: item } };
    const { ours, theirs } = await both(slim.GetItemCommand, sdk.GetItemCommand, {
      TableName: "sites",
      Key: { pk: { S: "site" } },
    });
    expect(ours.Item).toEqual(theirs.Item);
    expect((ours.Item as Record<string, { B?: Uint8Array }>).key?.B).toEqual(bytes);
  });

  it("throws a failed condition the stores recognise (instanceof and name), and does not retry it", async () => {
    server.answer = {
      status: 400,
      body: {
        __type: "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",
        message: "The conditional request failed",
      },
    };
    const err = await new slim.DynamoDBClient()
      .send(new slim.PutItemCommand({ TableName: "spent", Item: { pk: { S: "t" } } }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(slim.ConditionalCheckFailedException);
    expect(err).toMatchObject({ name: "ConditionalCheckFailedException", $fault: "client" });
    expect(server.seen).toHaveLength(1);
    // The stores also construct one themselves (a quota refusal), as with the SDK's class.
    expect(new slim.ConditionalCheckFailedException({ message: "over quota", $metadata: {} })).toMatchObject({
      name: "ConditionalCheckFailedException",
      message: "over quota",
    });
  });

  it("retries throttling and server errors, then gives the error by name", async () => {
    server.answer = {
      status: 400,
      body: { __type: "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException" },
    };
    await expect(
      new slim.DynamoDBClient().send(new slim.GetItemCommand({ TableName: "t", Key: { pk: { S: "x" } } })),
    ).rejects.toMatchObject({ name: "ProvisionedThroughputExceededException" });
    expect(server.seen).toHaveLength(CALL_LIMITS.maxAttempts);
  });

  it("uses the credentials and endpoint it is given (local mode's shape)", async () => {
    await new slim.DynamoDBClient({
      endpoint: server.endpoint,
      region: "eu-west-3",
      credentials: { accessKeyId: TEST_CREDENTIALS.AWS_ACCESS_KEY_ID, secretAccessKey: "wrong" },
    }).send(new slim.ScanCommand({ TableName: "keys" }));
    expect(server.seen[0]?.signatureOk).toBe(false);
    expect(server.seen[0]?.securityToken).toBeUndefined();
  });
});
