// Labels every table cell with its column's heading (data-label), so that app.css can
// show a table as a card per row on a narrow screen. Without this script the tables
// scroll sideways instead.
"use strict";
document.querySelectorAll("table.ds-table").forEach((table) => {
  const row = table.querySelector("thead tr:last-child");
  if (!row) return;
  const headings = [];
  for (const th of row.children) {
    for (let i = 0; i < (th.colSpan || 1); i++) headings.push(th.textContent.trim());
  }
  table.classList.add("app-stackable");
  table.querySelectorAll("tbody tr, tfoot tr").forEach((tr) => {
    let col = 0;
    for (const cell of tr.children) {
      if (cell.tagName === "TD" && !cell.hasAttribute("data-label") && headings[col]) {
        cell.setAttribute("data-label", headings[col]);
      }
      col += cell.colSpan || 1;
    }
  });
});
