import { defineConfig } from '@playwright/test';
import base from './playwright.config';

// Benchmarks of the wallet against a real dev chain (the same nodes the tests start):
// `npx playwright test -c playwright.bench.config.ts`. Figures go to stdout.
export default defineConfig({
  ...base,
  testDir: 'benches',
  testMatch: '*.bench.ts',
  timeout: 900_000,
});
