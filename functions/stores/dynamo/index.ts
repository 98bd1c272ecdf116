import type { DynamoDBClient } from "@blindgate/aws-json/dynamodb";
import type { TableNames } from "../schema.js";
import type { Stores } from "../types.js";
import { DynamoClaimStore } from "./claims.js";
import { DynamoKeyLogStore } from "./key-log.js";
import { DynamoKeyStore } from "./keys.js";
import { DynamoProviderStore } from "./providers.js";
import { DynamoReportStore } from "./reports.js";
import { DynamoSiteStore } from "./sites.js";

/*
 * The gateway's stores on one DynamoDB endpoint: one code path on AWS and locally (dynalite or DynamoDB Local
 * speak the same HTTP API).
 */

/**
 * Every store of the gateway on DynamoDB.
 *
 * @example
 * ```ts
 * const stores = dynamoStores(dynamoClient(endpoint), config.tables);
 * ```
 */
export function dynamoStores(client: DynamoDBClient, tables: TableNames): Stores {
  return {
    keys: new DynamoKeyStore(client, tables.keys),
    keyLog: new DynamoKeyLogStore(client, tables.keyLog),
    providers: new DynamoProviderStore(client, tables.providers),
    sites: new DynamoSiteStore(client, tables.sites),
    claims: new DynamoClaimStore(client, tables.grants),
    spent: new DynamoClaimStore(client, tables.spent),
    reports: new DynamoReportStore(client, tables.reports),
  };
}

export { createTables } from "./create-tables.js";
