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

// The scenario form shows the fields of the chosen method only (all of them without
// this script), keeps a section with an error in view, and opens the per-application
// amounts for the manual method.
const scenarioForm = document.querySelector("form[data-scenario-form]");
if (scenarioForm) {
  const sections = scenarioForm.querySelectorAll("[data-methods]");
  const perApplication = scenarioForm.querySelector("details[data-per-application]");
  const update = () => {
    const chosen = scenarioForm.querySelector('input[name="method"]:checked');
    sections.forEach((section) => {
      const wanted = !chosen || section.dataset.methods.split(" ").includes(chosen.value);
      section.hidden = !wanted && !section.querySelector(".ds-validation-message");
    });
    if (chosen && chosen.value === "manuell" && perApplication) perApplication.open = true;
  };
  scenarioForm.addEventListener("change", (event) => {
    if (event.target.name === "method") update();
  });
  update();
}
