// @blindgate/sdk/testing: test a site's age gate in CI without a gateway. Refused by every gate not made for tests.
export type { TestAge, TestGateOptions, TestIssuer, TestIssuerOptions } from "./test-issuer.js";
export { createTestIssuer, DEFAULT_TEST_AGES, TEST_ISSUER_HOST } from "./test-issuer.js";
