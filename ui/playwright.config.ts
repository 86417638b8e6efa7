import { defineConfig } from '@playwright/test';

// The wallet as the node's gateway serves it, against a real dev chain (started by
// tests/dev-node.ts), in Debian's headless Chromium.
export default defineConfig({
  testDir: 'tests',
  // The page's logic runs without a node: playwright.unit.config.ts.
  testIgnore: 'logic.spec.ts',
  timeout: 180_000,
  expect: { timeout: 30_000 },
  workers: 1,
  reporter: [['list']],
  globalSetup: './tests/dev-node.ts',
  use: {
    browserName: 'chromium',
    launchOptions: { executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium' },
    trace: 'retain-on-failure',
  },
});
