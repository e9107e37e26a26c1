#!/usr/bin/env python3
"""The report workbook written with Python XlsxWriter, for comparison with
`cargo bench --bench report_export` (which writes the same workbook with rust_xlsxwriter).

Reads the report the Rust benchmark dumped as JSON (`$CARGO_TARGET_DIR/report-bench.json`,
else `target/report-bench.json`, or the path given as the first argument), so both write
exactly the same data; then writes the same sheets, rows, formulas (with cached results),
formats, print settings and charts as src/sheets/report.rs, timing the whole write to
memory over repeated runs (best and median).

    pip install xlsxwriter
    python3 benches/report_xlsxwriter.py [report-bench.json] [runs]
"""

import io
import json
import os
import statistics
import sys
import time
from decimal import Decimal

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

SYMBOLS = {"..", ".", ":", "-"}
SYNTHETIC_LABEL = "syntetiske demotall"
SYMBOLS_NOTE = "Symboler: .. tall mangler, . ikke aktuelt, : skjult av personvernhensyn, - null."
MAX_MUNICIPALITY_LINES = 12
COL_APPLICANTS, COL_GRANTED, COL_NOTES = 2, 3, 8


def formats(wb):
    money = {"num_format": '#,##0 "kr";-#,##0 "kr"'}
    return {
        "title": wb.add_format({"bold": True, "font_size": 14}),
        "header": wb.add_format({"bold": True, "text_wrap": True, "valign": "top",
                                 "bg_color": "#DDEAF6", "border": 1}),
        "bold": wb.add_format({"bold": True}),
        "wrap": wb.add_format({"text_wrap": True, "valign": "top"}),
        "money": wb.add_format(money),
        "money_ore": wb.add_format({"num_format": '#,##0.00 "kr";-#,##0.00 "kr"'}),
        "bold_money": wb.add_format(dict(money, bold=True, top=1)),
        "count": wb.add_format({"num_format": "#,##0"}),
        "percent": wb.add_format({"num_format": '0.0 "%";-0.0 "%"'}),
        "points": wb.add_format({"num_format": '+0.0 "pp";-0.0 "pp";0.0 "pp"'}),
        "integer": wb.add_format({"num_format": "0"}),
        "symbol": wb.add_format({"align": "right"}),
        "coefficient": wb.add_format({"num_format": "0.000"}),
    }


# Cells as (kind, value), the same kinds as sheets::export::Cell.
def text(s):
    return ("text", s)


def stat(value, kind):
    return ("symbol", value) if value in SYMBOLS else (kind, value)


def opt(kind, value):
    return None if value is None else (kind, value)


def write_cell(ws, row, col, cell, f):
    if cell is None:
        return
    kind, v = cell
    if kind == "text":
        ws.write_string(row, col, v)
    elif kind == "money":
        ws.write_number(row, col, float(v), f["money"] if Decimal(v) % 1 == 0 else f["money_ore"])
    elif kind == "symbol":
        ws.write_string(row, col, v, f["symbol"])
    else:
        ws.write_number(row, col, float(v), f[kind])


def width(columns, rows, col):
    header = len(columns[col]) if col < len(columns) else 0
    sizes = {"money": 16, "count": 12, "percent": 12, "points": 12}
    longest = 0
    for r in rows:
        c = r[col] if col < len(r) else None
        n = len(c[1]) if c and c[0] == "text" else sizes.get(c[0], 6) if c else 6
        longest = max(longest, n)
    return max(8, min(50, max(longest, min(header, 20)) + 2))


def print_setup(ws, header_row, title):
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    if header_row is not None:
        ws.repeat_rows(header_row, header_row)
    ws.set_header("&C" + title[:100].replace("&", "&&"))
    ws.set_footer("&LSide &P av &N&R&D")


def write_table(ws, title, notes, columns, rows, f, page_title):
    ws.write_string(0, 0, f"{title} – {page_title}", f["title"])
    for i, note in enumerate(notes):
        ws.write_string(1 + i, 0, note)
    header_row = len(notes) + 2
    for col, name in enumerate(columns):
        ws.write_string(header_row, col, name, f["header"])
    for i, cells in enumerate(rows):
        for col, cell in enumerate(cells):
            write_cell(ws, header_row + 1 + i, col, cell, f)
    last = header_row + len(rows)
    last_col = max(len(columns), max((len(r) for r in rows), default=0), 1) - 1
    for col in range(last_col + 1):
        ws.set_column(col, col, width(columns, rows, col))
    ws.freeze_panes(header_row + 1, 0)
    ws.autofilter(header_row, 0, last, last_col)
    print_setup(ws, header_row, page_title)
    return header_row, header_row + 1, last


def sum_formula(col, first, last, result):
    if last < first:
        return "=0", result
    c = xl_col_to_name(col)
    return f"=SUM({c}{first + 1}:{c}{last + 1})", result


def grants_sheet(wb, r, f, page_title):
    ws = wb.add_worksheet("Tildeling")
    rows = []
    for m in r["rows"]:
        notes = list(m["notes"])
        if m["synthetic"]:
            notes.insert(0, f"Statistikken er {SYNTHETIC_LABEL}")
        rows.append([
            text(m["kommunenummer"]), text(m["name"]), text(", ".join(m["applicants"])),
            ("money", m["granted"]),
            ("count", m["recipients"]) if m["recipients"] is not None else ("symbol", ".."),
            ("count", m["inhabitants"]) if m["inhabitants"] is not None else ("symbol", ".."),
            opt("money", m["per_recipient"]), opt("money", m["per_inhabitant"]),
            text("; ".join(notes)),
        ])
    notes = [
        f"Kommuneinndelingen for {r['division_year']}. Tilskuddsår {r['grant_year']}. "
        "Mottakere og innbyggere i tilskuddsåret, ellers året før.",
        SYMBOLS_NOTE,
    ]
    columns = ["Kommunenr.", "Kommune", "Søkere", "Tildelt", "Mottakere", "Innbyggere",
               "Kr per mottaker", "Kr per innbygger", "Merknader"]
    _, first, last = write_table(ws, "Tildeling per kommune", notes, columns, rows, f, page_title)
    sum_row = last + 1
    municipal = sum(Decimal(m["granted"]) for m in r["rows"])
    ws.write_string(sum_row, 0, "Sum kommuner", f["bold"])
    formula, value = sum_formula(COL_GRANTED, first, last, municipal)
    ws.write_formula(sum_row, COL_GRANTED, formula, f["bold_money"], float(value))
    heading = sum_row + 2
    ws.write_string(heading, 0, "Ikke fordelt på én kommune", f["bold"])
    for col, name in [(COL_APPLICANTS, "Søker"), (COL_GRANTED, "Tildelt"), (COL_NOTES, "Hvorfor")]:
        ws.write_string(heading, col, name, f["header"])
    ufirst = heading + 1
    for i, u in enumerate(r["unattributed"]):
        write_cell(ws, ufirst + i, COL_APPLICANTS, text(u["applicant"]), f)
        write_cell(ws, ufirst + i, COL_GRANTED, ("money", u["amount"]), f)
        write_cell(ws, ufirst + i, COL_NOTES, text(u["reason"]), f)
    rest_row = ufirst + len(r["unattributed"])
    rest = sum(Decimal(u["amount"]) for u in r["unattributed"])
    ws.write_string(rest_row, 0, "Sum ikke fordelt", f["bold"])
    formula, value = sum_formula(COL_GRANTED, ufirst, rest_row - 1, rest)
    ws.write_formula(rest_row, COL_GRANTED, formula, f["bold_money"], float(value))
    total_row = rest_row + 2
    ws.write_string(total_row, 0, "Tildelt i alt", f["bold"])
    c = xl_col_to_name(COL_GRANTED)
    ws.write_formula(total_row, COL_GRANTED, f"={c}{sum_row + 1}+{c}{rest_row + 1}",
                     f["bold_money"], float(Decimal(r["total_granted"])))


def coverage_columns(label, r):
    g = r["grant_year"]
    return [f"{label} {y}" for y in r["years"]] + [
        f"{label} før ({g - 1})", f"{label} {g} (tilskuddsår)", f"{label} siste",
        f"{label} siste år", f"{label} endring (pp)"]


def coverage_cells(c):
    return [stat(v, "percent") for v in c["by_year"]] + [
        stat(c["before"], "percent"), stat(c["grant_year"], "percent"),
        stat(c["latest"], "percent"), opt("integer", c["latest_year"]),
        opt("points", c["change_pp"])]


def number(v):
    return None if v is None or v in SYMBOLS else Decimal(v)


def write_block(ws, row, col, heading, years, series, f):
    """Chart data: years down `col`, a column per series, empty where a symbol is."""
    ws.write_string(row, col, heading, f["bold"])
    ws.write_string(row + 1, col, "År", f["header"])
    for i, (name, _) in enumerate(series):
        ws.write_string(row + 1, col + 1 + i, name, f["header"])
    first = row + 2
    for i, y in enumerate(years):
        ws.write_number(first + i, col, y, f["integer"])
    for s, (_, points) in enumerate(series):
        for i, p in enumerate(points):
            if p is None:
                continue
            if isinstance(p, tuple):
                ws.write_formula(first + i, col + 1 + s, p[0], f["percent"], float(p[1]))
            else:
                ws.write_number(first + i, col + 1 + s, float(p), f["percent"])
    return ws.get_name(), first, first + max(len(years), 1) - 1, col, len(series)


def line_chart(wb, block, title):
    sheet, first, last, col, n = block
    chart = wb.add_chart({"type": "line"})
    for i in range(n):
        c = col + 1 + i
        chart.add_series({
            "name": [sheet, first - 1, c],
            "categories": [sheet, first, col, last, col],
            "values": [sheet, first, c, last, c],
        })
    chart.set_title({"name": title})
    chart.set_y_axis({"name": "Prosent", "num_format": '0" %"'})
    chart.set_legend({"position": "bottom"})
    chart.show_blanks_as("gap")
    chart.set_size({"width": 720, "height": 400})
    return chart


def coverage_series(r, first, last, first_col, key):
    national = {n["year"]: n for n in r["national"]}
    series = [("Hele landet", [number(national[y][key]) if y in national else None
                               for y in r["years"]])]
    cov = "coordinator" if key == "coordinator" else "plan"
    if len(r["rows"]) <= MAX_MUNICIPALITY_LINES:
        for m in r["rows"]:
            series.append((m["name"], [number(v) for v in m[cov]["by_year"]]))
    else:
        points = []
        for i in range(len(r["years"])):
            numbers = [number(m[cov]["by_year"][i]) for m in r["rows"]]
            numbers = [n for n in numbers if n is not None]
            if not numbers:
                points.append(None)
                continue
            c = xl_col_to_name(first_col + i)
            points.append((f"=AVERAGE({c}{first + 1}:{c}{last + 1})",
                           sum(numbers) / len(numbers)))
        series.append(("Kommunene i rapporten (snitt, uvektet)", points))
    return series


def coverage_sheet(wb, r, f, page_title):
    ws = wb.add_worksheet("Dekning")
    columns = ["Kommunenr.", "Kommune"] + coverage_columns("Koordinator", r) + \
        coverage_columns("Individuell plan", r)
    rows = [[text(m["kommunenummer"]), text(m["name"])] + coverage_cells(m["coordinator"])
            + coverage_cells(m["plan"]) for m in r["rows"]]
    notes = [
        f"Prosent av mottakere av helsetjenester i hjemmet og/eller praktisk bistand. "
        f"Før = {r['grant_year'] - 1}, siste = siste år etter tilskuddsåret med tall; "
        "endring = siste − før i prosentpoeng.",
        SYMBOLS_NOTE,
        "Diagrammene og tallene de bygger på står under tabellen.",
    ]
    _, first, last = write_table(ws, "Andel mottakere med koordinator og med individuell plan",
                                 notes, columns, rows, f, page_title)
    plan_col = 2 + len(r["years"]) + 5
    coordinator = coverage_series(r, first, last, 2, "coordinator")
    plan = coverage_series(r, first, last, plan_col, "plan")
    row = last + 1 + 2
    right = len(coordinator) + 2
    block = write_block(ws, row, 0, "Diagramdata: andel med koordinator", r["years"],
                        coordinator, f)
    chart_row = block[2] + 2
    ws.insert_chart(chart_row, 0, line_chart(wb, block, "Andel mottakere med koordinator"))
    block = write_block(ws, row, right, "Diagramdata: andel med individuell plan", r["years"],
                        plan, f)
    ws.insert_chart(chart_row, right,
                    line_chart(wb, block, "Andel mottakere med individuell plan"))


def association_sheet(wb, r, f, page_title):
    ws = wb.add_worksheet("Sammenheng")
    rows = [[text(p["kommunenummer"]), text(p["name"]), ("money", p["per_recipient"]),
             ("points", p["change_pp"])] for p in r["scatter"]]
    header_row, first, last = write_table(
        ws, "Kroner per mottaker og endring i andel med koordinator",
        ["Kommuner med både tilskudd per mottaker og endring i dekning. "
         "Sammenhengen og forbeholdet står under tabellen."],
        ["Kommunenr.", "Kommune", "Kr per mottaker", "Endring i andel med koordinator (pp)"],
        rows, f, page_title)
    heading = last + 1 + 2
    for col, name in enumerate(["Sammenheng mellom kr per mottaker og", "n", "Pearsons r",
                                "Spearmans ρ"]):
        ws.write_string(heading, col, name, f["header"])
    row = heading + 1
    for c in r["correlations"]:
        ws.write_string(row, 0, c["against"])
        ws.write_number(row, 1, c["n"], f["integer"])
        for col, v in [(2, c["pearson"]), (3, c["spearman"])]:
            if v is None:
                ws.write_string(row, col, ".", f["symbol"])
            else:
                ws.write_number(row, col, float(v), f["coefficient"])
        row += 1
    row += 1
    ws.write_string(row, 0, "Forbehold", f["bold"])
    ws.merge_range(row + 1, 0, row + 1, 7, r["caveat"], f["wrap"])
    ws.set_row(row + 1, 75)
    if r["scatter"]:
        chart = wb.add_chart({"type": "scatter"})
        chart.add_series({
            "name": "Kommuner",
            "categories": ["Sammenheng", first, 2, last, 2],
            "values": ["Sammenheng", first, 3, last, 3],
            "trendline": {"type": "linear"},
        })
        chart.set_title({"name": "Kroner per mottaker og endring i andel med koordinator"})
        chart.set_x_axis({"name": "Kroner per mottaker", "num_format": "#,##0"})
        chart.set_y_axis({"name": "Endring i prosentpoeng", "num_format": "0.0"})
        chart.set_legend({"none": True})
        chart.set_size({"width": 720, "height": 420})
        ws.insert_chart(header_row, 5, chart)


def national_sheet(wb, r, f, page_title):
    ws = wb.add_worksheet("Nasjonalt")
    rows = [[("integer", n["year"]), stat(n["recipients"], "count"),
             stat(n["coordinator"], "percent"), stat(n["plan"], "percent")]
            for n in r["national"]]
    header_row, _, _ = write_table(
        ws, "Hele landet", [SYMBOLS_NOTE],
        ["År", "Mottakere", "Andel med koordinator", "Andel med individuell plan"],
        rows, f, page_title)
    years = [n["year"] for n in r["national"]]
    series = [("Andel med koordinator", [number(n["coordinator"]) for n in r["national"]]),
              ("Andel med individuell plan", [number(n["plan"]) for n in r["national"]])]
    block = write_block(ws, header_row - 1, 6, "Diagramdata", years, series, f)
    if years:
        ws.insert_chart(header_row, 10, line_chart(
            wb, block, "Hele landet: andel mottakere med koordinator og individuell plan"))


def kroner_text(amount):
    whole = f"{Decimal(amount):,.0f}".replace(",", "\u00a0")
    return f"{whole}\u00a0kr"


def sources_sheet(wb, r, f, page_title):
    ws = wb.add_worksheet("Kilder")
    ws.write_string(0, 0, f"Kilder – {page_title}", f["title"])
    pairs = [
        ("Rapport", text(page_title)), ("Laget", text("01.01.2027 12:00")),
        ("Laget av", text("bench")), ("Program", text("tilskudd 0.1.0")),
        ("Kommuneinndeling", text(f"Inndelingen for {r['division_year']}; tall fra andre år "
                                  "er ført over til den (se under).")),
        ("Tilskuddsår", ("integer", r["grant_year"])),
    ]
    for i, rd in enumerate(r["rounds"]):
        pairs.append(("Runder" if i == 0 else "", text(
            f"{rd['name']} ({rd['year']}), ramme {kroner_text(rd['pool'])}, "
            + ("vedtatt" if rd["decided"] else "ikke vedtatt"))))
    pairs.append(("Tildelt i alt", ("money", r["total_granted"])))
    pairs.append(("Syntetiske tall", text(
        f"Ja: kommunetallene er {SYNTHETIC_LABEL}, ikke offisiell statistikk."
        if r["synthetic"] else "Nei")))
    for i, s in enumerate(r["sources"]):
        pairs.append(("Kilder" if i == 0 else "", text(s)))
    pairs.append(("Forbehold", text(r["caveat"])))
    pairs.append(("Symboler", text(SYMBOLS_NOTE)))
    row = 2
    for label, value in pairs:
        ws.write_string(row, 0, label, f["bold"])
        if value[0] == "text":
            ws.write_string(row, 1, value[1], f["wrap"])
        else:
            write_cell(ws, row, 1, value, f)
        row += 1
    ws.set_column(0, 0, 28)
    ws.set_column(1, 1, 90)
    row += 1
    ws.write_string(row, 0, "Slik er tall fra tidligere år ført over", f["bold"])
    row += 1
    if not r["mapping"]:
        ws.write_string(row, 1, "Ingen: alle tall står på kommunenes egne numre.")
        row += 1
    for m in r["mapping"]:
        ws.write_string(row, 0, f"{m['kommunenummer']} {m['name']}")
        ws.write_string(row, 1, f"{m['years']}: {m['made_of']}", f["wrap"])
        row += 1
    row += 1
    ws.write_string(row, 0, "Delte kommuner (tallene er ikke fordelt på delene)", f["bold"])
    row += 1
    if not r["splits"]:
        ws.write_string(row, 1, "Ingen.")
    for s in r["splits"]:
        ws.write_string(row, 0, f"{s['kommunenummer']} {s['name']}")
        ws.write_string(row, 1, f"{s['years']}: delt mellom {s['became']}", f["wrap"])
        row += 1
    print_setup(ws, None, page_title)


def report_workbook(r, title):
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True})
    f = formats(wb)
    page_title = f"{title} – {SYNTHETIC_LABEL}" if r["synthetic"] else title
    grants_sheet(wb, r, f, page_title)
    coverage_sheet(wb, r, f, page_title)
    association_sheet(wb, r, f, page_title)
    national_sheet(wb, r, f, page_title)
    sources_sheet(wb, r, f, page_title)
    wb.close()
    return out.getvalue()


def main():
    target = os.environ.get("CARGO_TARGET_DIR", "target")
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(target, "report-bench.json")
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    with open(path, encoding="utf-8") as fh:
        report = json.load(fh)
    times = []
    size = 0
    for _ in range(runs):
        start = time.perf_counter()
        size = len(report_workbook(report, "Tilskudd og dekning"))
        times.append(time.perf_counter() - start)
    print(f"XlsxWriter {xlsxwriter.__version__}: report workbook, {len(report['rows'])} "
          f"municipalities x {len(report['years'])} years, {size} bytes; "
          f"{runs} runs: best {min(times) * 1000:.1f} ms, "
          f"median {statistics.median(times) * 1000:.1f} ms")
    if os.environ.get("REPORT_XLSX_OUT"):
        with open(os.environ["REPORT_XLSX_OUT"], "wb") as fh:
            fh.write(report_workbook(report, "Tilskudd og dekning"))


if __name__ == "__main__":
    main()
