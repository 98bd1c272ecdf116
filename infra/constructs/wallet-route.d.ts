/** The handler module a wallet-route bundle wraps (an esbuild alias, see bundling.ts entryFor). */
declare module "blindgate-wallet-route" {
  export const handler: (event: unknown, context: unknown) => Promise<unknown>;
}
