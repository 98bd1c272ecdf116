import { AwsJsonClient, type AwsJsonClientConfig, AwsServiceError } from "./lambda-aws-json.js";

/*
 * Stands in for @aws-sdk/client-dynamodb inside the Lambda bundles (esbuild alias, see bundling.ts), like
 * lambda-kms.ts for KMS. DynamoDB's JSON protocol (1.0, DynamoDB_20120810) takes the commands' inputs as they are
 * (attribute values are already its wire JSON); only binary values travel as base64. The SDK's client adds the
 * models, schemas, endpoint rules and error classes of every DynamoDB operation: ~130 KiB of every bundle.
 *
 * The stores (functions/stores/dynamo/) use the client through `send` and test failures by name; the commands
 * exported here are the ones the functions import. A command the functions start to import and this file lacks
 * fails the bundle build ("No matching export"): add it in one line below. Local mode, tests and the admin CLI
 * are not bundled and keep the SDK's client; tests/unit/infra/lambda-dynamodb.test.ts holds both to the same wire.
 */

// biome-ignore lint/suspicious/noExplicitAny: attribute values and outputs are the service's JSON, untyped here
type Json = any;

export type AttributeValue = Json;

const DYNAMODB = {
  name: "dynamodb",
  envName: "DYNAMODB",
  targetPrefix: "DynamoDB_20120810",
  contentType: "application/x-amz-json-1.0",
  blobFields: new Set(["B", "BS"]),
} as const;

/** The SDK's exception for a failed condition: `name` and `instanceof` both hold, as with the SDK's class. */
export class ConditionalCheckFailedException extends AwsServiceError {
  constructor(opts: { message?: string; $metadata?: { httpStatusCode?: number }; Item?: Json } = {}) {
    super(
      "ConditionalCheckFailedException",
      opts.message ?? "The conditional request failed",
      opts.$metadata?.httpStatusCode ?? 400,
      opts.Item !== undefined ? { Item: opts.Item } : {},
    );
  }
}

export { AwsServiceError as DynamoDBServiceException };

export interface DynamoDBClientConfig extends AwsJsonClientConfig {}

abstract class DynamoCommand {
  abstract readonly operation: string;
  constructor(readonly input: Json) {}
}

export class GetItemCommand extends DynamoCommand {
  readonly operation = "GetItem";
}
export class PutItemCommand extends DynamoCommand {
  readonly operation = "PutItem";
}
export class UpdateItemCommand extends DynamoCommand {
  readonly operation = "UpdateItem";
}
export class DeleteItemCommand extends DynamoCommand {
  readonly operation = "DeleteItem";
}
export class QueryCommand extends DynamoCommand {
  readonly operation = "Query";
}
export class ScanCommand extends DynamoCommand {
  readonly operation = "Scan";
}
export class BatchGetItemCommand extends DynamoCommand {
  readonly operation = "BatchGetItem";
}
export class BatchWriteItemCommand extends DynamoCommand {
  readonly operation = "BatchWriteItem";
}
export class TransactWriteItemsCommand extends DynamoCommand {
  readonly operation = "TransactWriteItems";
}
export class TransactGetItemsCommand extends DynamoCommand {
  readonly operation = "TransactGetItems";
}
// Table administration (local mode's createTables; not called on Lambda, imported by the stores' module).
export class CreateTableCommand extends DynamoCommand {
  readonly operation = "CreateTable";
}
export class DescribeTableCommand extends DynamoCommand {
  readonly operation = "DescribeTable";
}
export class ListTablesCommand extends DynamoCommand {
  readonly operation = "ListTables";
}
export class UpdateTimeToLiveCommand extends DynamoCommand {
  readonly operation = "UpdateTimeToLive";
}

export class DynamoDBClient {
  private readonly client: AwsJsonClient;
  readonly config: { readonly region: string };

  constructor(config: DynamoDBClientConfig = {}) {
    this.client = new AwsJsonClient(DYNAMODB, config);
    this.config = this.client.config;
  }

  async send(command: DynamoCommand): Promise<Json> {
    return this.client.call(command.operation, command.input, (e) =>
      e.name === "ConditionalCheckFailedException"
        ? new ConditionalCheckFailedException({
            message: e.message,
            $metadata: e.$metadata,
            ...("Item" in e ? { Item: (e as Json).Item } : {}),
          })
        : e,
    );
  }

  destroy(): void {
    this.client.destroy();
  }
}
