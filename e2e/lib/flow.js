'use strict';
// What the flows share: running one flow with an Auditor, logging in, and the JSON API
// for setting up data a flow starts from.

const { expect, request: playwrightRequest } = require('@playwright/test');
const { Auditor, pageFailures } = require('./audit');

const PASSWORD = process.env.E2E_PASSWORD || 'demo';

/**
 * Runs `body(audit)` as `role`: every page it reaches is checked by `audit.check(...)`.
 * A broken flow fails the test at once; the page findings fail it at the end, all of
 * them listed, after the flow has gone all the way through.
 */
async function runFlow(page, testInfo, role, body) {
  const width = testInfo.project.use.viewport.width;
  const audit = new Auditor(page, { project: testInfo.project.name, role, width, testInfo });
  let error = null;
  try {
    await body(audit);
  } catch (err) {
    error = err;
  }
  const file = await audit.save(error);
  await testInfo.attach(`findings-${role}.json`, { path: file, contentType: 'application/json' });
  if (error) {
    error.message = `flow broke after ${audit.pages.length} page(s), at ${page.url()}:\n${error.message}`;
    throw error;
  }
  const lines = audit.pages.flatMap((p) => pageFailures(p).map((f) => `  [${p.nn}] ${p.path}: ${f}`));
  if (lines.length) {
    const shown = lines.slice(0, 40);
    if (lines.length > shown.length) shown.push(`  … and ${lines.length - shown.length} more`);
    throw new Error(`${lines.length} finding(s) on the ${audit.pages.length} pages of this flow (all of them: artifacts/summary.txt):\n${shown.join('\n')}`);
  }
}

/** Logs in through the login page (checked too) and lands on the front page. */
async function login(page, audit, username) {
  await page.goto('/login');
  await audit.check('login');
  await page.locator('#felt-username').fill(username);
  await page.locator('#felt-password').fill(PASSWORD);
  await Promise.all([
    page.waitForURL((url) => !url.pathname.startsWith('/login')),
    page.getByRole('button', { name: 'Logg inn' }).click(),
  ]);
  // The front page (Oversikt): what waits for this person.
  await expect(page).toHaveURL(/\/$/);
  await expect(page.locator('h1')).toContainText('Oversikt');
  await audit.check('front-page');
}

/** Clicks something that navigates and waits for the new page to load. */
async function follow(page, locator, urlPattern) {
  await Promise.all([
    urlPattern ? page.waitForURL(urlPattern) : page.waitForNavigation(),
    locator.click(),
  ]);
  await page.waitForLoadState('load');
}

/** A JSON API client logged in as `username` (writes need the Origin header). */
async function apiAs(baseURL, username) {
  const origin = new URL(baseURL).origin;
  const api = await playwrightRequest.newContext({ baseURL, extraHTTPHeaders: { Origin: origin } });
  const r = await api.post('/api/v1/session', { data: { username, password: PASSWORD } });
  if (!r.ok()) throw new Error(`API login as ${username}: ${r.status()} ${await r.text()}`);
  return api;
}

/** A new round open for applications, created through the API as the officer. */
async function createOpenRound(baseURL, name) {
  const api = await apiAs(baseURL, 'saksbehandler');
  try {
    const deadline = new Date(Date.now() + 30 * 24 * 3600 * 1000).toISOString().slice(0, 10);
    const r = await api.post('/api/v1/rounds', {
      data: { name, year: 2027, region: 'Trøndelag', pool: '1000000', rounding_unit: '1', deadline },
    });
    if (!r.ok()) throw new Error(`POST /api/v1/rounds: ${r.status()} ${await r.text()}`);
    let round = await r.json();
    if (round.phase === 'draft') {
      const o = await api.post(`/api/v1/rounds/${round.id}/open`);
      if (!o.ok()) throw new Error(`POST /api/v1/rounds/${round.id}/open: ${o.status()} ${await o.text()}`);
      round = await o.json();
    }
    expect(round.phase, `the new round ${round.id} should be open`).toBe('open');
    return round;
  } finally {
    await api.dispose();
  }
}

module.exports = { runFlow, login, follow, apiAs, createOpenRound };
