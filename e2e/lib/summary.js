'use strict';
// Prints what the flows found, page by page, and then the same failures grouped by what
// to fix. Reads artifacts/findings/*.json (written by lib/audit.js); writes the text to
// artifacts/summary.txt as well. Exits 1 when anything failed or a flow broke (or no
// findings were written at all: then nothing ran).

const fs = require('fs');
const path = require('path');
const { pageFailures, FINDINGS_DIR, ARTIFACTS } = require('./audit');

const ORDER = { 'desktop-1280': 0, 'mobile-390': 1 };
const ROLES = { saksbehandler: 0, godkjenner: 1, trondheim: 2 };

function load() {
  if (!fs.existsSync(FINDINGS_DIR)) return [];
  return fs
    .readdirSync(FINDINGS_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(fs.readFileSync(path.join(FINDINGS_DIR, f), 'utf8')))
    .sort((a, b) => (ORDER[a.project] ?? 9) - (ORDER[b.project] ?? 9) || (ROLES[a.role] ?? 9) - (ROLES[b.role] ?? 9));
}

/** A page path with ids made generic, so the same page in both widths groups together. */
function pattern(p) {
  return p.replace(/[?#].*$/, '').replace(/\/\d+(?=\/|$)/g, '/{id}');
}

function main() {
  const runs = load();
  const out = [];
  const say = (s = '') => out.push(s);
  let failures = 0;
  let pagesSeen = 0;
  const flowErrors = [];
  // key → {what, where:Set}
  const grouped = new Map();
  const group = (key, what, where) => {
    if (!grouped.has(key)) grouped.set(key, { what, where: new Set() });
    grouped.get(key).where.add(where);
  };

  say('tilskudd browser tests: findings per page');
  say('=========================================');
  for (const run of runs) {
    say('');
    say(`## ${run.project} · ${run.role} (${run.width} px) — ${run.pages.length} pages`);
    if (run.flowError) {
      flowErrors.push(`${run.project} · ${run.role}: ${run.flowError.split('\n')[0]}`);
      say(`   FLOW BROKE: ${run.flowError.replace(/\n/g, '\n      ')}`);
    }
    for (const note of run.notes || []) say(`   note: ${note}`);
    for (const p of run.pages) {
      pagesSeen++;
      const lines = pageFailures(p);
      failures += lines.length;
      say(`[${p.nn}] ${p.path}  «${p.title}»  ${lines.length ? `${lines.length} failure(s)` : 'ok'}  (${p.screenshot})`);
      for (const l of lines) say(`      - ${l}`);
      if (p.console && p.console.length) say(`      · console: ${p.console.join(' | ')}`);
      const where = `${run.width}px ${pattern(p.path)}`;
      for (const e of p.errors) group(`err:${pattern(p.path)}:${e.slice(0, 40)}`, `page error: ${e}`, where);
      for (const v of p.axe) {
        group(`axe:${v.id}:${v.targets.join(',')}`, `axe ${v.id} (${v.impact}) — ${v.help} — ${v.count} node(s): ${v.targets.slice(0, 3).join(' | ')}  [${v.helpUrl.replace(/\?.*$/, '')}]`, where);
      }
      for (const l of p.links) group(`link:${pattern(l.path)}:${l.status}`, `broken link: ${l.status || l.error} ${pattern(l.path)}${l.favicon ? ' (favicon)' : ''} «${l.text}»`, `${run.width}px ${pattern(p.path)}`);
      for (const r of p.resources) group(`res:${pattern(r.path)}:${r.status}`, `resource ${r.status || r.error} ${pattern(r.path)} (${r.type})`, where);
      for (const t of p.tables) {
        const w = t.kind === 'scroll-wrapper-wider-than-window' ? `${t.wrapperWidth}px wrapper` : `${t.tableWidth}px${t.wrapperWidth ? ` in a ${t.wrapperWidth}px wrapper` : ''}`;
        group(`table:${t.kind}:${pattern(p.path)}:${t.index}`, `${t.kind}: ${pattern(p.path)} table ${t.index} «${t.name}» (${t.table})`, `${t.window}px window: ${w}`);
      }
      if (p.pageOverflow) {
        const o = p.pageOverflow;
        group(`page:${pattern(p.path)}`, `page wider than the window: ${pattern(p.path)}`, `${o.window}px window: ${o.scrollWidth}px wide; sticking out: ${o.culprits.slice(0, 3).map((c) => `${c.element} → ${c.right}px`).join('; ')}`);
      }
    }
  }

  say('');
  say('What to fix (each failure once, with where it was seen)');
  say('=======================================================');
  const keys = [...grouped.keys()].sort();
  keys.forEach((k, i) => {
    const g = grouped.get(k);
    say(`${String(i + 1).padStart(3)}. ${g.what}`);
    say(`     seen: ${[...g.where].join(' · ')}`);
  });
  if (!keys.length) say('nothing');

  say('');
  if (flowErrors.length) {
    say(`${flowErrors.length} flow(s) broke:`);
    flowErrors.forEach((e) => say(`  - ${e}`));
  }
  const expected = Number(process.env.E2E_EXPECTED_FLOWS || 0);
  if (runs.length === 0) say('No findings were written: no flow ran.');
  else if (expected && runs.length < expected) say(`Only ${runs.length} of ${expected} flows wrote findings.`);
  say(`${runs.length} flows, ${pagesSeen} pages checked, ${failures} failure(s) on them, ${keys.length} distinct problem(s). Screenshots: ${path.relative(process.cwd(), ARTIFACTS) || '.'}/`);

  const text = out.join('\n');
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  fs.writeFileSync(path.join(ARTIFACTS, 'summary.txt'), text + '\n');
  console.log(text);
  const bad = failures > 0 || flowErrors.length > 0 || runs.length === 0 || (expected && runs.length < expected);
  process.exit(bad ? 1 : 0);
}

main();
