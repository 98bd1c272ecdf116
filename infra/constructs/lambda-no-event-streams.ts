/*
 * Stands in for @smithy/core/event-streams inside the Lambda bundles (esbuild alias, see bundling.ts).
 *
 * The SDK's HTTP protocol loads event-stream support with a dynamic `import()` only for operations that stream
 * events (Kinesis, Bedrock, S3 Select...). esbuild inlines dynamic imports into a single-file bundle, so the codec,
 * its CRC32 and header marshalling (19 KiB) sat in every function although DynamoDB and KMS have no such
 * operation. Reaching this module means an operation the gateway does not call: it fails loudly.
 */

const UNSUPPORTED =
  "event streams are not bundled in blindgate's Lambda functions (infra/constructs/bundling.ts)";

export class EventStreamSerde {
  constructor() {
    throw new Error(UNSUPPORTED);
  }
}

export function eventStreamSerdeProvider(): never {
  throw new Error(UNSUPPORTED);
}
