// @ts-check
'use strict';
// Two projects, one per window width. Each has its own freshly started app (run.sh starts
// them and passes their addresses), because the flows change the demo data: the officer
// closes the demo round and proposes, the approver approves.
// Browsers are not downloaded: Debian's Chromium is used (CHROMIUM_PATH to override).
const { defineConfig } = require('@playwright/test');

const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-dev-shm-usage',
];

const fallback = process.env.E2E_BASE_URL;
const projects = [
  { name: 'desktop-1280', width: 1280, height: 900, url: process.env.E2E_BASE_URL_1280 || fallback },
  { name: 'mobile-390', width: 390, height: 844, url: process.env.E2E_BASE_URL_390 || fallback },
].filter((p) => p.url);

if (projects.length === 0) {
  throw new Error('Set E2E_BASE_URL_1280 and E2E_BASE_URL_390 (or E2E_BASE_URL) to a running app, or use ./run.sh, which starts one per width.');
}

module.exports = defineConfig({
  testDir: './tests',
  outputDir: './test-results',
  // The flows of one width share one app and depend on each other's data: in file order.
  fullyParallel: false,
  workers: Number(process.env.E2E_WORKERS || 1),
  // A retried flow would meet the data its first try left (a closed round, a proposal).
  retries: 0,
  timeout: Number(process.env.E2E_TEST_TIMEOUT_MS || 600_000),
  expect: { timeout: 15_000 },
  reporter: [['list'], ['json', { outputFile: 'artifacts/playwright-report.json' }]],
  use: {
    browserName: 'chromium',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      args: chromiumArgs,
    },
    locale: 'nb-NO',
    timezoneId: 'Europe/Oslo',
    acceptDownloads: true,
    actionTimeout: 20_000,
    navigationTimeout: 60_000,
    screenshot: 'only-on-failure',
    trace: process.env.E2E_TRACE ? 'retain-on-failure' : 'off',
  },
  projects: projects.map((p) => ({
    name: p.name,
    use: { baseURL: p.url, viewport: { width: p.width, height: p.height } },
  })),
});
