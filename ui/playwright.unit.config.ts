import { defineConfig } from '@playwright/test';

// The wallet's logic alone, in Node.js: no node, no browser (`npm run test:unit`).
export default defineConfig({
  testDir: 'tests',
  testMatch: 'logic.spec.ts',
  reporter: [['list']],
});
