/** Unit specs beside the source; integration and e2e specs under test/, each file on its own database. */
module.exports = {
  rootDir: '.',
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json'],
  testRegex: '(src|test)/.*\\.(spec|int-spec|e2e-spec)\\.ts$',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.jest.json' }] },
  globalSetup: '<rootDir>/test/setup/global-setup.ts',
  testTimeout: 30000,
  maxWorkers: 3,
  forceExit: false,
};
