'use strict';
// The checks run on every page a flow reaches:
//   - the page's own HTTP status (a page that answers 4xx/5xx is a failure),
//   - sub-resources the page loaded that answered 4xx/5xx,
//   - axe (wcag2a, wcag2aa, wcag21a, wcag21aa, best-practice): zero violations,
//   - every same-origin link (<a href>, downloads included) and the favicon the browser
//     would ask for, fetched with the user's cookies once per URL per role and viewport:
//     4xx/5xx is a failure,
//   - tables wider than the window (sticking out of the page, or cut off inside a
//     horizontally scrolling wrapper) and pages wider than the window,
//   - a full-page screenshot, <role>-<width>-<nn>-<slug>.png in artifacts/.
// Findings are collected, not thrown, so one flow reports everything it passes through;
// they are written to artifacts/findings/ for the summary (lib/summary.js).

const fs = require('fs');
const path = require('path');

const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];

const ARTIFACTS = path.resolve(process.env.E2E_ARTIFACTS || path.join(__dirname, '..', 'artifacts'));
const FINDINGS_DIR = path.join(ARTIFACTS, 'findings');

/** URLs already fetched, per project and role: url → {status, error}. */
const checkedLinks = new Map();

function slugify(text) {
  return String(text)
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/ø/g, 'o').replace(/æ/g, 'ae').replace(/å/g, 'a')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 50) || 'page';
}

/** Path and query of a URL, which is what the summary shows. */
function shortUrl(url) {
  try {
    const u = new URL(url);
    return u.pathname + u.search + u.hash;
  } catch {
    return url;
  }
}

async function pool(items, size, fn) {
  const queue = items.slice();
  const workers = Array.from({ length: Math.min(size, queue.length) }, async () => {
    while (queue.length) await fn(queue.shift());
  });
  await Promise.all(workers);
}

// Runs in the page: tables and elements wider than the window.
/* istanbul ignore next */
function measureLayout() {
  const vw = document.documentElement.clientWidth;
  const describe = (el) => {
    if (!el || el === document.documentElement) return 'html';
    const parts = [];
    let e = el;
    for (let depth = 0; e && e.nodeType === 1 && depth < 4; depth++, e = e.parentElement) {
      let part = e.tagName.toLowerCase();
      if (e.id) {
        parts.unshift(`${part}#${e.id}`);
        break;
      }
      const cls = Array.from(e.classList).filter((c) => !/^ds-(paragraph|heading)$/.test(c)).slice(0, 2);
      if (cls.length) part += '.' + cls.join('.');
      const sameTag = e.parentElement ? Array.from(e.parentElement.children).filter((c) => c.tagName === e.tagName) : [];
      if (sameTag.length > 1) part += `:nth-of-type(${sameTag.indexOf(e) + 1})`;
      parts.unshift(part);
      if (e.tagName === 'MAIN' || e.tagName === 'BODY') break;
    }
    return parts.join(' > ');
  };
  const clipsX = (el) => {
    const ox = getComputedStyle(el).overflowX;
    return ox === 'auto' || ox === 'scroll' || ox === 'hidden' || ox === 'clip';
  };
  const clippingAncestor = (el) => {
    for (let a = el.parentElement; a && a !== document.body && a !== document.documentElement; a = a.parentElement) {
      if (clipsX(a)) return a;
    }
    return null;
  };
  const tableName = (t) => {
    const text = (s) => (s || '').replace(/\s+/g, ' ').trim().slice(0, 80);
    if (t.caption && text(t.caption.textContent)) return text(t.caption.textContent);
    const wrap = t.closest('[aria-label]');
    if (wrap) return text(wrap.getAttribute('aria-label'));
    const section = t.closest('section');
    const h = section && section.querySelector('h1,h2,h3');
    if (h) return text(h.textContent);
    const th = t.querySelector('th');
    return th ? `first header «${text(th.textContent)}»` : '';
  };
  const round = (n) => Math.round(n);
  const tables = [];
  document.querySelectorAll('table').forEach((t, i) => {
    const r = t.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) return;
    const wrap = clippingAncestor(t);
    const base = {
      table: describe(t),
      name: tableName(t),
      index: i + 1,
      tableWidth: round(Math.max(r.width, t.scrollWidth)),
      window: vw,
    };
    if (wrap) {
      const wr = wrap.getBoundingClientRect();
      if (wr.right > vw + 1) {
        tables.push({ ...base, kind: 'scroll-wrapper-wider-than-window', wrapper: describe(wrap), wrapperWidth: round(wr.width), wrapperRight: round(wr.right) });
      }
      if (wrap.scrollWidth > wrap.clientWidth + 1) {
        tables.push({
          ...base,
          kind: 'table-cut-off-in-scroll-wrapper',
          wrapper: describe(wrap),
          wrapperWidth: round(wrap.clientWidth),
          hiddenWidth: round(wrap.scrollWidth - wrap.clientWidth),
          wrapperFocusable: wrap.tabIndex >= 0,
        });
      }
    } else if (r.right > vw + 1 || r.left < -1) {
      tables.push({ ...base, kind: 'table-wider-than-window', right: round(r.right) });
    }
  });
  // The page itself: scrolls sideways? Then name the elements that stick out first
  // (their parent does not), which are the ones to fix.
  const scrollWidth = document.scrollingElement.scrollWidth;
  let pageOverflow = null;
  if (scrollWidth > vw + 1) {
    const culprits = [];
    for (const el of document.body.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      if (r.right <= vw + 1 || (r.width === 0 && r.height === 0)) continue;
      if (clippingAncestor(el)) continue;
      const p = el.parentElement;
      if (p && p !== document.body && p.getBoundingClientRect().right > vw + 1) continue;
      culprits.push({ element: describe(el), width: round(r.width), right: round(r.right) });
    }
    culprits.sort((a, b) => b.right - a.right);
    pageOverflow = { scrollWidth, window: vw, culprits: culprits.slice(0, 6), culpritCount: culprits.length };
  }
  return { window: vw, tables, pageOverflow };
}

class Auditor {
  /**
   * @param {import('@playwright/test').Page} page
   * @param {{project:string, role:string, width:number, testInfo:import('@playwright/test').TestInfo}} o
   */
  constructor(page, { project, role, width, testInfo }) {
    this.page = page;
    this.project = project;
    this.role = role;
    this.width = width;
    this.testInfo = testInfo;
    this.pages = [];
    this.notes = [];
    this.pendingResources = [];
    this.consoleErrors = [];
    this.documentStatus = null;
    this.linkKey = `${project}/${role}`;
    if (!checkedLinks.has(this.linkKey)) checkedLinks.set(this.linkKey, new Map());
    page.on('response', (response) => {
      const request = response.request();
      if (request.frame() === page.mainFrame() && request.isNavigationRequest()) {
        this.documentStatus = response.status();
        return;
      }
      if (response.status() >= 400) {
        this.pendingResources.push({ url: response.url(), status: response.status(), type: request.resourceType() });
      }
    });
    page.on('requestfailed', (request) => {
      const failure = request.failure();
      if (failure && /ERR_ABORTED/.test(failure.errorText)) return; // downloads and cancelled loads
      this.pendingResources.push({ url: request.url(), status: 0, type: request.resourceType(), error: failure && failure.errorText });
    });
    page.on('console', (msg) => {
      if (msg.type() === 'error') this.consoleErrors.push(msg.text().slice(0, 300));
    });
    page.on('pageerror', (err) => this.consoleErrors.push(`uncaught: ${String(err).slice(0, 300)}`));
  }

  /** Runs every check on the page as it is now, under a name for the screenshot. */
  async check(slug, { allowStatus = [] } = {}) {
    const page = this.page;
    await page.waitForLoadState('load');
    const nn = String(this.pages.length + 1).padStart(2, '0');
    const file = `${this.role}-${this.width}-${nn}-${slugify(slug)}.png`;
    const record = {
      nn,
      slug,
      url: page.url(),
      path: shortUrl(page.url()),
      title: await page.title(),
      status: this.documentStatus,
      screenshot: file,
      axe: [],
      links: [],
      tables: [],
      pageOverflow: null,
      resources: [],
      console: [],
      errors: [],
    };
    this.pages.push(record);
    if (record.status !== null && record.status >= 400 && !allowStatus.includes(record.status)) {
      const text = await page.locator('main').innerText().catch(() => '');
      record.errors.push(`the page answered ${record.status}: ${text.replace(/\s+/g, ' ').trim().slice(0, 200)}`);
    }
    record.resources = this.pendingResources.splice(0).map((r) => ({ ...r, path: shortUrl(r.url) }));
    record.console = this.consoleErrors.splice(0);

    try {
      record.axe = await this.runAxe();
    } catch (err) {
      record.errors.push(`axe could not run: ${err.message}`);
    }
    try {
      const layout = await page.evaluate(measureLayout);
      record.tables = layout.tables;
      record.pageOverflow = layout.pageOverflow;
      record.window = layout.window;
    } catch (err) {
      record.errors.push(`layout could not be measured: ${err.message}`);
    }
    await fs.promises.mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, file), fullPage: true }).catch((err) => {
      record.errors.push(`screenshot failed: ${err.message}`);
    });
    try {
      record.links = await this.checkLinks();
    } catch (err) {
      record.errors.push(`links could not be checked: ${err.message}`);
    }
    return record;
  }

  async runAxe() {
    const page = this.page;
    // The app's CSP (script-src 'self') refuses an injected <script>; evaluate runs
    // through the DevTools protocol, which CSP does not govern.
    const loaded = await page.evaluate(() => typeof window.axe !== 'undefined');
    if (!loaded) await page.evaluate(AXE_SOURCE);
    const result = await page.evaluate(
      (tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] }),
      AXE_TAGS,
    );
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      helpUrl: v.helpUrl,
      count: v.nodes.length,
      targets: v.nodes.slice(0, 5).map((n) => n.target.join(' ')),
      summary: (v.nodes[0] && v.nodes[0].failureSummary || '').replace(/\s+/g, ' ').slice(0, 300),
      html: (v.nodes[0] && v.nodes[0].html || '').slice(0, 200),
    }));
  }

  async checkLinks() {
    const page = this.page;
    const found = await page.evaluate(() => {
      const links = Array.from(document.querySelectorAll('a[href]')).map((a) => ({
        href: a.href,
        text: (a.textContent || a.getAttribute('aria-label') || '').replace(/\s+/g, ' ').trim().slice(0, 60),
        download: a.hasAttribute('download'),
      }));
      const icon = document.querySelector('link[rel~="icon"]');
      links.push({
        href: icon ? icon.href : new URL('/favicon.ico', location.href).href,
        text: icon ? 'favicon (link rel=icon)' : 'favicon (no <link rel="icon">: the browser asks for /favicon.ico)',
        download: false,
        favicon: true,
      });
      return links;
    });
    const here = new URL(page.url());
    here.hash = '';
    const origin = here.origin;
    const cache = checkedLinks.get(this.linkKey);
    const byUrl = new Map();
    for (const link of found) {
      let u;
      try {
        u = new URL(link.href);
      } catch {
        continue;
      }
      if (u.origin !== origin) continue;
      // A jump within this page (the skip link) is not a request; the page itself is
      // checked by its own status.
      const inPage = u.hash !== '' || link.href.endsWith('#');
      u.hash = '';
      if (inPage && u.href === here.href) continue;
      const key = u.href;
      if (!byUrl.has(key)) byUrl.set(key, link);
    }
    const toFetch = [...byUrl.keys()].filter((url) => !cache.has(url));
    await pool(toFetch, 4, async (url) => {
      let entry;
      try {
        const response = await page.request.get(url, { maxRedirects: 10, timeout: 60_000, failOnStatusCode: false });
        entry = { status: response.status(), finalUrl: response.url() };
        await response.dispose();
      } catch (err) {
        entry = { status: 0, error: err.message.split('\n')[0] };
      }
      cache.set(url, entry);
    });
    const broken = [];
    for (const [url, link] of byUrl) {
      const entry = cache.get(url);
      if (entry && (entry.status >= 400 || entry.status === 0)) {
        broken.push({ url, path: shortUrl(url), status: entry.status, error: entry.error, text: link.text, download: link.download, favicon: !!link.favicon });
      }
    }
    return broken;
  }

  /** A note for the report that is not a failure. */
  note(text) {
    this.notes.push(text);
  }

  failureCount() {
    return this.pages.reduce((n, p) => n + pageFailures(p).length, 0);
  }

  async save(flowError) {
    await fs.promises.mkdir(FINDINGS_DIR, { recursive: true });
    const data = {
      project: this.project,
      role: this.role,
      width: this.width,
      test: this.testInfo.title,
      flowError: flowError ? String(flowError.message || flowError).split('\n').slice(0, 6).join('\n') : null,
      notes: this.notes,
      pages: this.pages,
    };
    const file = path.join(FINDINGS_DIR, `${this.project}-${this.role}.json`);
    await fs.promises.writeFile(file, JSON.stringify(data, null, 2));
    return file;
  }
}

/** One line per failure on a page, for the summary and the test's own error. */
function pageFailures(p) {
  const out = [];
  for (const e of p.errors) out.push(`error: ${e}`);
  for (const v of p.axe) out.push(`axe ${v.id} (${v.impact}) ×${v.count}: ${v.targets.slice(0, 3).join(' | ')}`);
  for (const l of p.links) out.push(`broken link ${l.status || l.error} ${l.path}${l.favicon ? ' [favicon]' : ''}${l.download ? ' [download]' : ''} «${l.text}»`);
  for (const r of p.resources) out.push(`resource ${r.status || r.error} ${r.path} (${r.type})`);
  for (const t of p.tables) {
    if (t.kind === 'table-wider-than-window') {
      out.push(`table wider than the window: ${t.table} «${t.name}» ${t.tableWidth}px, right edge at ${t.right}px > ${t.window}px`);
    } else if (t.kind === 'table-cut-off-in-scroll-wrapper') {
      out.push(`table cut off in its scroll wrapper: ${t.table} «${t.name}» ${t.tableWidth}px in ${t.wrapperWidth}px (${t.hiddenWidth}px hidden; window ${t.window}px${t.wrapperFocusable ? '' : '; wrapper not keyboard-focusable'})`);
    } else {
      out.push(`scroll wrapper wider than the window: ${t.wrapper} ${t.wrapperWidth}px, right edge at ${t.wrapperRight}px > ${t.window}px («${t.name}»)`);
    }
  }
  if (p.pageOverflow) {
    const o = p.pageOverflow;
    out.push(`page wider than the window: ${o.scrollWidth}px > ${o.window}px; sticking out: ${o.culprits.map((c) => `${c.element} (right ${c.right}px)`).join('; ')}`);
  }
  return out;
}

module.exports = { Auditor, pageFailures, slugify, shortUrl, ARTIFACTS, FINDINGS_DIR };
