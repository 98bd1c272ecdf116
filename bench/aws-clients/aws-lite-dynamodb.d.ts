/** The plugin ships no types of its own (they are a separate package, @aws-lite/dynamodb-types). */
declare module "@aws-lite/dynamodb" {
  const plugin: object;
  export default plugin;
}
