'use strict';
// "The officer's day in the browser": three flows, run in this order against one app per
// window width (see playwright.config.js). Every page a flow reaches is checked
// (lib/audit.js): axe, links, tables and page width, screenshot.

const fs = require('fs');
const path = require('path');
const { test, expect } = require('@playwright/test');
const { runFlow, login, follow, createOpenRound } = require('../lib/flow');
const { fillApplicationWorkbook } = require('../lib/workbook');
const { ARTIFACTS } = require('../lib/audit');

const DEMO_ROUND = process.env.E2E_DEMO_ROUND || 'Trøndelag 2026 (demo)';

// ---------------------------------------------------------------------------- officer
test('saksbehandler: round → close → snapshot → two scenarios → compare → propose', async ({ page }, testInfo) => {
  await runFlow(page, testInfo, 'saksbehandler', async (audit) => {
    await login(page, audit, 'saksbehandler');

    await follow(page, page.getByRole('link', { name: DEMO_ROUND, exact: true }), /\/rounds\/\d+$/);
    const roundUrl = page.url();
    await audit.check('round-open');

    // A decision can only be proposed for a closed round.
    await page.locator('#felt-close-reason').fill('Alle søknadene er kommet inn (e2e).');
    await follow(page, page.getByRole('button', { name: 'Lukk runden for søknader' }));
    await expect(page.locator('main')).toContainText('Fase: Lukket');
    await audit.check('round-closed');

    // The formula needs a snapshot of the statistics.
    await follow(page, page.getByRole('navigation', { name: 'Hovedmeny' }).getByRole('link', { name: 'Statistikk' }), /\/statistikk$/);
    await audit.check('statistikk');
    const toSnapshots = page.locator('main a[href="/statistics/snapshots"]');
    if (await toSnapshots.count()) {
      await follow(page, toSnapshots.first(), /\/statistics\/snapshots$/);
    } else {
      audit.note('/statistikk has no link to /statistics/snapshots (the snapshots page was opened by its URL)');
      await page.goto('/statistics/snapshots');
    }
    await audit.check('snapshots');
    await page.locator('#felt-name').fill('Grunnlag e2e');
    await page.locator('#felt-description').fill('Laget av nettlesertestene.');
    await follow(page, page.getByRole('button', { name: 'Lagre øyeblikksbilde' }));
    await expect(page.locator('main table')).toContainText('Grunnlag e2e');
    await audit.check('snapshot-saved');

    // Alternative 1: forholdsmessig.
    await page.goto(roundUrl);
    await follow(page, page.getByRole('link', { name: 'Nytt alternativ' }), /\/scenarios\/new$/);
    await audit.check('scenario-form');
    await page.locator('#felt-name').fill('Forholdsmessig e2e');
    await page.locator('#metode-forholdsmessig').check();
    await follow(page, page.getByRole('button', { name: 'Beregn og lagre' }), /\/scenarios\/\d+$/);
    await expect(page.locator('h1')).toContainText('Forholdsmessig e2e');
    await audit.check('scenario-forholdsmessig');

    // Alternative 2: formel, on the snapshot.
    await follow(page, page.getByRole('navigation', { name: 'Brødsmuler' }).getByRole('link', { name: DEMO_ROUND }), /\/rounds\/\d+$/);
    await audit.check('round-one-scenario');
    await follow(page, page.getByRole('link', { name: 'Nytt alternativ' }), /\/scenarios\/new$/);
    await audit.check('scenario-form-2');
    await page.locator('#felt-name').fill('Formel e2e');
    await page.locator('#metode-formel').check();
    await page.locator('[id="felt-parameters.base_amount"]').fill('100000');
    await page.locator('[id="felt-parameters.per_inhabitant"]').fill('5');
    await page.locator('[id="felt-parameters.per_recipient"]').fill('2000');
    await page.locator('[id="felt-parameters.need_weight"]').fill('1000');
    await page.locator('[id="felt-parameters.snapshot_id"]').selectOption({ label: (await page.locator('[id="felt-parameters.snapshot_id"] option', { hasText: 'Grunnlag e2e' }).first().textContent()).trim() });
    await follow(page, page.getByRole('button', { name: 'Beregn og lagre' }), /\/scenarios\/\d+$/);
    await expect(page.locator('h1')).toContainText('Formel e2e');
    await audit.check('scenario-formel');

    // Alternatives 3 and 4, so that the widest comparison (four side by side) is walked.
    for (const name of ['Forholdsmessig B e2e', 'Forholdsmessig C e2e']) {
      await follow(page, page.getByRole('navigation', { name: 'Brødsmuler' }).getByRole('link', { name: DEMO_ROUND }), /\/rounds\/\d+$/);
      await follow(page, page.getByRole('link', { name: 'Nytt alternativ' }), /\/scenarios\/new$/);
      await page.locator('#felt-name').fill(name);
      await page.locator('#metode-forholdsmessig').check();
      await follow(page, page.getByRole('button', { name: 'Beregn og lagre' }), /\/scenarios\/\d+$/);
      await expect(page.locator('h1')).toContainText(name);
    }

    // Compare: first with one alternative ticked (the app should explain, on a page
    // that answers 2xx and keeps the user's menu), then with two, then with four.
    await follow(page, page.getByRole('navigation', { name: 'Brødsmuler' }).getByRole('link', { name: DEMO_ROUND }), /\/rounds\/\d+$/);
    await audit.check('round-two-scenarios');
    await page.getByRole('checkbox', { name: 'Sammenlign Forholdsmessig e2e' }).check();
    await follow(page, page.getByRole('button', { name: /Sammenlign valgte/ }));
    await audit.check('compare-only-one');
    await page.goto(roundUrl);
    await page.getByRole('checkbox', { name: 'Sammenlign Forholdsmessig e2e' }).check();
    await page.getByRole('checkbox', { name: 'Sammenlign Formel e2e' }).check();
    await follow(page, page.getByRole('button', { name: /Sammenlign valgte/ }), /\/scenarios\/compare\?/);
    await expect(page.locator('main')).toContainText('Formel e2e');
    await audit.check('compare');
    await page.goto(roundUrl);
    for (const name of ['Forholdsmessig e2e', 'Formel e2e', 'Forholdsmessig B e2e', 'Forholdsmessig C e2e']) {
      await page.getByRole('checkbox', { name: `Sammenlign ${name}` }).check();
    }
    await follow(page, page.getByRole('button', { name: /Sammenlign valgte/ }), /\/scenarios\/compare\?/);
    await expect(page.locator('main')).toContainText('Forholdsmessig C e2e');
    await audit.check('compare-four');

    // Open one alternative from the comparison and propose it.
    await follow(page, page.locator('main').getByRole('link', { name: 'Forholdsmessig e2e' }).first(), /\/scenarios\/\d+$/);
    await audit.check('scenario-to-propose');
    await page.locator('#felt-reason').fill('Lik andel av omsøkt beløp for alle (e2e).');
    await follow(page, page.getByRole('button', { name: 'Foreslå som vedtak' }), /\/decisions\/\d+$/);
    await expect(page.locator('h1')).toContainText('Til godkjenning');
    await audit.check('decision-proposed');

    // The round's report, as the officer would look at before the approval.
    await follow(page, page.getByRole('navigation', { name: 'Brødsmuler' }).getByRole('link', { name: DEMO_ROUND }), /\/rounds\/\d+$/);
    await audit.check('round-proposed');
    await follow(page, page.getByRole('link', { name: 'Rapport: tilskudd og dekning' }), /\/report$/);
    await audit.check('report');
  });
});

// ---------------------------------------------------------------------------- approver
test('godkjenner: worklist → decision waiting → approve', async ({ page }, testInfo) => {
  await runFlow(page, testInfo, 'godkjenner', async (audit) => {
    await login(page, audit, 'godkjenner');
    // The front page lists what waits for approval first.
    const waiting = page.locator('section[aria-labelledby="til-godkjenning"]').getByRole('link').first();
    await expect(waiting, 'the officer\'s proposal should wait on the approver\'s front page').toBeVisible();
    await follow(page, waiting, /\/decisions\/\d+$/);
    await audit.check('decision-waiting');
    await page.locator('#felt-comment').fill('Godkjent (e2e).');
    await follow(page, page.getByRole('button', { name: 'Godkjenn vedtaket' }), /\/decisions\/\d+$/);
    await expect(page.locator('h1')).toContainText('Godkjent');
    await audit.check('decision-approved');
    await follow(page, page.getByRole('navigation', { name: 'Brødsmuler' }).getByRole('link', { name: DEMO_ROUND }), /\/rounds\/\d+$/);
    await expect(page.locator('main')).toContainText('Fase: Vedtatt');
    await audit.check('round-decided');
  });
});

// ---------------------------------------------------------------------------- municipality
test('trondheim: download workbook → fill → upload → preview → confirm → submit', async ({ page, baseURL }, testInfo) => {
  const width = testInfo.project.use.viewport.width;
  const roundName = `Søknadsrunde e2e ${width}`;
  await createOpenRound(baseURL, roundName);

  await runFlow(page, testInfo, 'trondheim', async (audit) => {
    await login(page, audit, 'trondheim');
    await follow(page, page.getByRole('navigation', { name: 'Hovedmeny' }).getByRole('link', { name: 'Runder' }), /\/rounds$/);
    await audit.check('rounds');
    await follow(page, page.getByRole('link', { name: roundName, exact: true }), /\/rounds\/\d+$/);
    await audit.check('round');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: /Last ned søknadsskjemaet/ }).click(),
    ]);
    const empty = await fs.promises.readFile(await download.path());
    expect(download.suggestedFilename()).toMatch(/\.xlsx$/);
    const { buffer, requested } = await fillApplicationWorkbook(empty, {
      contact: 'Kari Nordmann',
      email: 'kari.nordmann@example.no',
      title: 'Hverdagsrehabilitering i hele kommunen',
      description: 'Opplæring av tverrfaglige team og utstyr til hverdagsrehabilitering (e2e).',
      lines: [
        { category: 'Lønn', description: 'Prosjektleder 50 %', own: 100000, applied: 300000 },
        { category: 'Kompetanseheving', description: 'Kurs for teamene', own: 20000, applied: 80000 },
        { category: 'Utstyr', description: 'Treningsutstyr', own: 0, applied: 45000 },
      ],
    });
    const filled = path.join(ARTIFACTS, `trondheim-${width}-soknadsskjema-utfylt.xlsx`);
    await fs.promises.mkdir(ARTIFACTS, { recursive: true });
    await fs.promises.writeFile(filled, buffer);

    await page.locator('#felt-file').setInputFiles(filled);
    await follow(page, page.getByRole('button', { name: 'Last opp' }), /\/uploads\/\d+$/);
    await expect(page.locator('h1')).toContainText('Forhåndsvisning');
    await expect(page.locator('main [role="alert"]')).toHaveCount(0);
    await expect(page.locator('main')).toContainText('Hverdagsrehabilitering i hele kommunen');
    // The requested amount is the sum of the budget lines (425 000 kr).
    const grouped = String(requested).replace(/\B(?=(\d{3})+(?!\d))/g, '[\\s\\u00a0\\u202f.]?');
    await expect(page.locator('main')).toContainText(new RegExp(grouped));
    await audit.check('upload-preview');

    await follow(page, page.getByRole('button', { name: 'Bekreft og lagre' }), /\/applications\/\d+/);
    await expect(page.getByRole('link', { name: /Send inn søknaden/ })).toBeVisible();
    await audit.check('application-draft');

    // Sending in cannot be undone: a confirmation page first, with what is missing.
    await follow(page, page.getByRole('link', { name: /Send inn søknaden/ }), /\/applications\/\d+\/submit$/);
    await expect(page.locator('main')).toContainText('Søknaden er komplett');
    await audit.check('submit-confirmation');
    await follow(page, page.getByRole('button', { name: 'Send inn søknaden' }), /\/applications\/\d+\?sendt=1/);
    await expect(page.locator('main')).toContainText('Søknaden er sendt inn');
    await audit.check('application-submitted');

    await follow(page, page.getByRole('navigation', { name: 'Brødsmuler' }).getByRole('link', { name: roundName }), /\/rounds\/\d+$/);
    await audit.check('round-after-submit');
  });
});

// ---------------------------------------------------------------------------- officer's import
test('saksbehandler: allocation table → preview asks who applies → choose → confirm', async ({ page, baseURL }, testInfo) => {
  const width = testInfo.project.use.viewport.width;
  const roundName = `Tildelingsimport e2e ${width}`;
  await createOpenRound(baseURL, roundName);

  await runFlow(page, testInfo, 'saksbehandler-import', async (audit) => {
    await login(page, audit, 'saksbehandler');
    await page.goto('/rounds');
    await follow(page, page.getByRole('link', { name: roundName, exact: true }), /\/rounds\/\d+$/);
    // A number that contradicts its name, and a misspelt name, as Excel writes CSV.
    const table = '\ufeffKommunenummer;Søker;Tildelt\r\n5021;Holtålen;100000\r\n;Trondhjem;200000\r\n';
    const file = path.join(ARTIFACTS, `tildeling-uklar-${width}.csv`);
    await fs.promises.mkdir(ARTIFACTS, { recursive: true });
    await fs.promises.writeFile(file, table);
    await page.locator('#felt-file').setInputFiles(file);
    await page.locator('#felt-kind').selectOption('allocations');
    await follow(page, page.getByRole('button', { name: 'Last opp' }), /\/uploads\/\d+$/);
    await expect(page.getByRole('heading', { name: /Hvem søker\?/ })).toBeVisible();
    await expect(page.locator('main')).toContainText('Mente du 5001 Trondheim');
    await expect(page.getByRole('button', { name: 'Bekreft og lagre' })).toHaveCount(0);
    await audit.check('import-asks');

    // The suggestions come first in each list.
    await page.locator('#felt-soker-1').selectOption('5026');
    await page.locator('#felt-soker-2').selectOption('5001');
    await follow(page, page.getByRole('button', { name: 'Les filen på nytt med valgt søker' }), /\/uploads\/\d+$/);
    await expect(page.getByRole('heading', { name: /Hvem søker\?/ })).toHaveCount(0);
    await expect(page.locator('main')).toContainText('Søker valgt ved opplastingen: Holtålen');
    await audit.check('import-chosen');
    await follow(page, page.getByRole('button', { name: 'Bekreft og lagre' }), /\/rounds\/\d+/);
    await audit.check('import-confirmed');
  });
});

// ------------------------------------------------------------------ single sign-on
test('kari: single sign-on → front page → logout at the provider', async ({ page }, testInfo) => {
  test.skip(!process.env.E2E_SSO, 'tests/oidc is not installed (npm ci there)');
  await runFlow(page, testInfo, 'kari-sso', async (audit) => {
    await page.goto('/login');
    await audit.check('login-with-sso');
    // The provider vouches for Kari; the one-time password from `user add` is not asked for.
    await follow(page, page.getByRole('link', { name: 'Logg inn med Statsforvalteren (Entra ID)' }), (url) => url.pathname === '/');
    await expect(page.locator('h1')).toContainText('Oversikt');
    await expect(page.locator('header')).toContainText('Kari Nordmann');
    await audit.check('front-page-after-sso');

    // Logging out ends the session here, then at the provider, which sends the browser
    // back to the login page.
    await follow(page, page.getByRole('button', { name: 'Logg ut' }), /\/login/);
    await expect(page.locator('h1')).toContainText('Logg inn');
    await page.goto('/');
    await expect(page).toHaveURL(/\/login/);
  });
});
