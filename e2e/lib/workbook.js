'use strict';
// Fills in the application workbook that /rounds/{id}/soknadsskjema.xlsx hands out, the
// way an applicant would in Excel: the Søknad sheet's values in column B and lines on the
// Budsjett sheet. Layout: src/sheets/template.rs (labels in A4:A10, the requested amount
// in B11 as =Budsjett!E104; budget header on row 3, lines on rows 4–103, sums on row 104).
// Excel stores a formula's result next to it; the app reads those results (it does not
// calculate), so the sums are written as results too, as Excel would after recalculating.

const ExcelJS = require('exceljs');

const APPLICATION_SHEET = 'Søknad';
const BUDGET_SHEET = 'Budsjett';
const BUDGET_FIRST_ROW = 4;
const BUDGET_TOTAL_ROW = 104;

/** Labels in column A of the Søknad sheet → the value to write in column B. */
function applicationValues(a) {
  return {
    'Organisasjonsnummer': a.orgNumber,
    'Kontaktperson': a.contact,
    'E-post': a.email,
    'Prosjekttittel': a.title,
    'Beskrivelse': a.description,
  };
}

/**
 * @param {Buffer} input the downloaded workbook
 * @param {{orgNumber?:string, contact:string, email:string, title:string, description:string,
 *          lines: {category:string, description:string, own:number, applied:number}[]}} a
 * @returns {Promise<{buffer: Buffer, requested: number}>}
 */
async function fillApplicationWorkbook(input, a) {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(input);
  const sheet = wb.getWorksheet(APPLICATION_SHEET);
  const budget = wb.getWorksheet(BUDGET_SHEET);
  if (!sheet || !budget) {
    throw new Error(`the workbook has no sheet ${APPLICATION_SHEET} or ${BUDGET_SHEET}: ${wb.worksheets.map((w) => w.name).join(', ')}`);
  }
  const wanted = applicationValues(a);
  const seen = new Set();
  sheet.eachRow((row) => {
    const label = String(row.getCell(1).value ?? '').trim();
    if (label in wanted && wanted[label] !== undefined) {
      row.getCell(2).value = wanted[label];
      seen.add(label);
    }
  });
  const missing = Object.keys(wanted).filter((l) => wanted[l] !== undefined && !seen.has(l));
  if (missing.length) throw new Error(`labels not found on the ${APPLICATION_SHEET} sheet: ${missing.join(', ')}`);

  let sums = [0, 0, 0];
  a.lines.forEach((line, i) => {
    const row = budget.getRow(BUDGET_FIRST_ROW + i);
    const cost = line.own + line.applied;
    row.getCell(1).value = line.category;
    row.getCell(2).value = line.description;
    row.getCell(3).value = cost;
    row.getCell(4).value = line.own;
    row.getCell(5).value = line.applied;
    sums = [sums[0] + cost, sums[1] + line.own, sums[2] + line.applied];
  });
  const total = budget.getRow(BUDGET_TOTAL_ROW);
  ['C', 'D', 'E'].forEach((col, i) => {
    const cell = budget.getCell(`${col}${BUDGET_TOTAL_ROW}`);
    const formula = cell.formula || `SUM(${col}${BUDGET_FIRST_ROW}:${col}${BUDGET_TOTAL_ROW - 1})`;
    cell.value = { formula, result: sums[i] };
  });
  if (!/^sum$/i.test(String(total.getCell(1).value ?? '').trim())) {
    throw new Error(`row ${BUDGET_TOTAL_ROW} of ${BUDGET_SHEET} is not the sum row: ${total.getCell(1).value}`);
  }
  sheet.eachRow((row) => {
    const cell = row.getCell(2);
    if (cell.formula && /Budsjett!E/i.test(cell.formula)) cell.value = { formula: cell.formula, result: sums[2] };
  });
  const buffer = Buffer.from(await wb.xlsx.writeBuffer());
  return { buffer, requested: sums[2] };
}

module.exports = { fillApplicationWorkbook };
