/**
 * Jest runs the TypeScript sources as native ES modules (the package is "type": "module";
 * execa and @inquirer/prompts are ESM-only), transformed by @swc/jest. `npm test` sets
 * NODE_OPTIONS=--experimental-vm-modules, which Jest's ESM support needs on Node 20.
 */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'es6' } }],
  },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testTimeout: 600000,
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.cjs'],
};
