import type * as model from "@aws-sdk/client-dynamodb";
import { AwsJsonClient, type AwsJsonClientConfig, AwsServiceError } from "./client.js";

/*
 * The gateway's DynamoDB client: DynamoDB's JSON protocol (1.0, DynamoDB_20120810) through one signed call
 * (client.ts). The commands' inputs travel as they are (attribute values are already the service's wire JSON);
 * only binary values go as base64. The interface is the SDK's (`client.send(new PutItemCommand(input))`, a failed
 * condition as ConditionalCheckFailedException), typed with the SDK's own input and output types (type imports
 * only: no SDK code is bundled). The SDK's client adds the models, schemas, endpoint rules and error classes of
 * every DynamoDB operation, and the credential chain; bench/suites/aws-clients.ts weighs both, and
 * tests/unit/aws-json/dynamodb.test.ts holds both to the same wire.
 *
 * A command the stores start to need is one line below.
 */

export type AttributeValue = model.AttributeValue;

const DYNAMODB = {
  name: "dynamodb",
  envName: "DYNAMODB",
  targetPrefix: "DynamoDB_20120810",
  contentType: "application/x-amz-json-1.0",
  blobFields: new Set(["B", "BS"]),
} as const;

/** A failed condition: `name` and `instanceof` both hold, as with the SDK's class; `Item` with ALL_OLD. */
export class ConditionalCheckFailedException extends AwsServiceError {
  declare readonly Item?: Record<string, AttributeValue>;
  constructor(
    opts: {
      message?: string;
      $metadata?: { httpStatusCode?: number };
      Item?: Record<string, AttributeValue>;
    } = {},
  ) {
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

/** One operation with its input; `Output` only types what `send` resolves to. */
export abstract class DynamoCommand<Input extends object, Output extends object> {
  declare readonly output?: Output;
  abstract readonly operation: string;
  constructor(readonly input: Input) {}
}

export class GetItemCommand extends DynamoCommand<model.GetItemCommandInput, model.GetItemCommandOutput> {
  readonly operation = "GetItem";
}
export class PutItemCommand extends DynamoCommand<model.PutItemCommandInput, model.PutItemCommandOutput> {
  readonly operation = "PutItem";
}
export class UpdateItemCommand extends DynamoCommand<
  model.UpdateItemCommandInput,
  model.UpdateItemCommandOutput
> {
  readonly operation = "UpdateItem";
}
export class DeleteItemCommand extends DynamoCommand<
  model.DeleteItemCommandInput,
  model.DeleteItemCommandOutput
> {
  readonly operation = "DeleteItem";
}
export class QueryCommand extends DynamoCommand<model.QueryCommandInput, model.QueryCommandOutput> {
  readonly operation = "Query";
}
export class ScanCommand extends DynamoCommand<model.ScanCommandInput, model.ScanCommandOutput> {
  readonly operation = "Scan";
}
export class BatchGetItemCommand extends DynamoCommand<
  model.BatchGetItemCommandInput,
  model.BatchGetItemCommandOutput
> {
  readonly operation = "BatchGetItem";
}
export class BatchWriteItemCommand extends DynamoCommand<
  model.BatchWriteItemCommandInput,
  model.BatchWriteItemCommandOutput
> {
  readonly operation = "BatchWriteItem";
}
export class TransactWriteItemsCommand extends DynamoCommand<
  model.TransactWriteItemsCommandInput,
  model.TransactWriteItemsCommandOutput
> {
  readonly operation = "TransactWriteItems";
}
export class TransactGetItemsCommand extends DynamoCommand<
  model.TransactGetItemsCommandInput,
  model.TransactGetItemsCommandOutput
> {
  readonly operation = "TransactGetItems";
}
// Table administration: the local server's and the tests' createTables (never called on Lambda).
export class CreateTableCommand extends DynamoCommand<
  model.CreateTableCommandInput,
  model.CreateTableCommandOutput
> {
  readonly operation = "CreateTable";
}
export class DescribeTableCommand extends DynamoCommand<
  model.DescribeTableCommandInput,
  model.DescribeTableCommandOutput
> {
  readonly operation = "DescribeTable";
}
export class ListTablesCommand extends DynamoCommand<
  model.ListTablesCommandInput,
  model.ListTablesCommandOutput
> {
  readonly operation = "ListTables";
}
export class DescribeTimeToLiveCommand extends DynamoCommand<
  model.DescribeTimeToLiveCommandInput,
  model.DescribeTimeToLiveCommandOutput
> {
  readonly operation = "DescribeTimeToLive";
}
export class UpdateTimeToLiveCommand extends DynamoCommand<
  model.UpdateTimeToLiveCommandInput,
  model.UpdateTimeToLiveCommandOutput
> {
  readonly operation = "UpdateTimeToLive";
}

export class DynamoDBClient {
  private readonly client: AwsJsonClient;
  readonly config: { readonly region: string };

  constructor(config: DynamoDBClientConfig = {}) {
    this.client = new AwsJsonClient(DYNAMODB, config);
    this.config = this.client.config;
  }

  async send<Input extends object, Output extends object>(
    command: DynamoCommand<Input, Output>,
  ): Promise<Output> {
    const out = await this.client.call(command.operation, command.input, (e) =>
      e.name === "ConditionalCheckFailedException"
        ? new ConditionalCheckFailedException({
            message: e.message,
            $metadata: e.$metadata,
            ...("Item" in e ? { Item: (e as { Item: Record<string, AttributeValue> }).Item } : {}),
          })
        : e,
    );
    return out as unknown as Output;
  }

  destroy(): void {
    this.client.destroy();
  }
}
