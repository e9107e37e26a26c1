#!/usr/bin/env python3
"""Makes demo-trondelag-statistikk.csv: SYNTHETIC per-municipality figures for Trøndelag.

The real sources (KPR) give only national figures. To demonstrate the allocation formula
and the reports per municipality, this script invents figures (syntetiske demotall) for
every Trøndelag municipality on the division in force in each year 2016–2024.

How:
- The "atoms" are the municipalities of 2016 (16xx/17xx), plus Rindal (1567, Trøndelag
  from 2019) and Halsa (1571, part of Heim from 2020). Each atom gets an invented 2016
  population of roughly the real order of magnitude, a yearly growth rate, a share of
  inhabitants receiving home services (3–5 %), a coordinator share (5–15 %) and an
  individual-plan share (3–10 %), all drawn from a fixed-seed LCG, then drifting a little
  each year.
- The division of each year follows the code changes in kommuneendringer-2017-2024.csv,
  checked against kommuner-2019/2020/2024.csv. A merged municipality is the sum of its
  atoms; a split (Snillfjord 5012 in 2020) is shared by fixed, invented fractions
  (Orkland 45 %, Hitra 30 %, Heim 25 %). Shares are recipient-weighted means of the atoms.
- Output: semicolon-separated UTF-8, counts as integers, shares with one decimal and a
  decimal point. Standard library only; running it again gives the same file byte for
  byte.

    python3 sample-data/make_synthetic_statistics.py
"""

import csv
import os
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "demo-trondelag-statistikk.csv")
CHANGES = os.path.join(HERE, "kommuneendringer-2017-2024.csv")
DIVISIONS = {y: os.path.join(HERE, f"kommuner-{y}.csv") for y in (2019, 2020, 2024)}
YEARS = range(2016, 2025)
SEED = 20_240_101

# Invented 2016 populations, roughly the real order of magnitude (not official figures).
POPULATION_2016 = {
    "1601": 187_000, "1612": 4_250, "1613": 980, "1617": 4_650, "1620": 4_900,
    "1621": 5_200, "1622": 1_700, "1624": 6_600, "1627": 4_800, "1630": 3_250,
    "1632": 960, "1633": 1_000, "1634": 6_900, "1635": 2_600, "1636": 3_950,
    "1638": 12_000, "1640": 5_600, "1644": 2_050, "1648": 6_200, "1653": 16_200,
    "1657": 7_900, "1662": 6_000, "1663": 13_700, "1664": 4_100, "1665": 860,
    "1702": 21_800, "1703": 13_000, "1711": 2_500, "1714": 23_500, "1717": 2_600,
    "1718": 3_500, "1719": 19_800, "1721": 14_800, "1724": 2_500, "1725": 1_650,
    "1736": 2_150, "1738": 1_400, "1739": 480, "1740": 880, "1742": 2_400,
    "1743": 1_250, "1744": 3_800, "1748": 640, "1749": 1_120, "1750": 4_400,
    "1751": 5_050, "1755": 570, "1756": 6_800,
    "1567": 2_050,  # Rindal, Møre og Romsdal until 2018, 5061 in Trøndelag from 2019
    "1571": 1_580,  # Halsa, Møre og Romsdal until 2019, part of Heim (5055) from 2020
}
# A split cannot be read from the register: how each part's share is invented.
SPLITS = {"5012": {"5059": 0.45, "5056": 0.30, "5055": 0.25}}


class Lcg:
    """Numerical Recipes' 32-bit LCG: the same numbers on every Python and platform."""

    def __init__(self, seed):
        self.state = seed & 0xFFFFFFFF

    def uniform(self, low, high):
        self.state = (1_664_525 * self.state + 1_013_904_223) & 0xFFFFFFFF
        return low + (high - low) * self.state / 2**32


def read(path):
    with open(path, encoding="utf-8", newline="") as f:
        lines = [line for line in f if not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter=";"))


def trondelag(code, year):
    return code[:2] in ("16", "17") if year < 2018 else code.startswith("50")


def main():
    rng = Lcg(SEED)
    atoms = sorted(POPULATION_2016)
    growth, rate, coord, plan = {}, {}, {}, {}
    for a in atoms:
        growth[a] = rng.uniform(0.008, 0.016) if a == "1601" else rng.uniform(-0.012, 0.012)
        rate[a] = rng.uniform(3.0, 5.0)
        coord[a] = rng.uniform(6.0, 12.0)
        plan[a] = rng.uniform(4.0, 9.0)

    changes = defaultdict(list)  # year -> rows
    for c in read(CHANGES):
        changes[int(c["gjelder_fra"][:4])].append(c)

    composition = {a: {a: 1.0} for a in atoms}  # code -> {atom: fraction}
    names = {}
    for c in changes[2018] + changes[2019] + changes[2020]:
        names.setdefault(c["gammelt_nummer"], c["gammelt_navn"])

    rows = []
    population = {a: float(POPULATION_2016[a]) for a in atoms}
    for year in YEARS:
        by_old = defaultdict(list)
        for c in changes.get(year, []):
            by_old[c["gammelt_nummer"]].append(c)
        moved = defaultdict(lambda: defaultdict(float))
        for code, parts in composition.items():
            targets = by_old.get(code) or [{"nytt_nummer": code, "nytt_navn": names[code]}]
            for t in targets:
                share = 1.0 if len(targets) == 1 else SPLITS[code][t["nytt_nummer"]]
                names[t["nytt_nummer"]] = t["nytt_navn"]
                for atom, fraction in parts.items():
                    moved[t["nytt_nummer"]][atom] += fraction * share
        composition = {code: dict(parts) for code, parts in moved.items()}

        if year > 2016:
            for a in atoms:
                population[a] *= 1 + growth[a] + rng.uniform(-0.003, 0.003)
                rate[a] = min(5.0, max(3.0, rate[a] + rng.uniform(-0.08, 0.1)))
                coord[a] = min(15.0, max(5.0, coord[a] + rng.uniform(-0.6, 0.9)))
                plan[a] = min(10.0, max(3.0, plan[a] + rng.uniform(-0.6, 0.4)))

        for code in sorted(composition):
            if not trondelag(code, year):
                continue
            parts = composition[code]
            inhabitants = sum(population[a] * f for a, f in parts.items())
            recipients = sum(population[a] * f * rate[a] / 100 for a, f in parts.items())
            coordinator = sum(population[a] * f * rate[a] * coord[a] for a, f in parts.items())
            individual = sum(population[a] * f * rate[a] * plan[a] for a, f in parts.items())
            weight = recipients * 100
            rows.append([
                code, names[code], year, round(inhabitants), round(recipients),
                f"{coordinator / weight:.1f}", f"{individual / weight:.1f}",
            ])

    check_divisions(rows)
    with open(OUT, "w", encoding="utf-8", newline="") as f:
        f.write(
            "# Syntetiske demotall: oppdiktede tall per kommune i Trøndelag 2016–2024, IKKE offisiell statistikk.\n"
            "# Kildene (KPR) gir bare nasjonale tall; disse tallene finnes bare for å vise fordelingsformelen og rapportene.\n"
            "# Laget av make_synthetic_statistics.py (fast frø, bare standardbiblioteket): innbyggertall i riktig størrelsesorden,\n"
            "# mottakere 3–5 % av innbyggerne, andeler med koordinator og individuell plan i prosent av mottakerne.\n"
            "# Kommuneinndelingen følger kommuneendringer-2017-2024.csv; sammenslåtte kommuner er summen av delene.\n"
        )
        writer = csv.writer(f, delimiter=";", lineterminator="\n")
        writer.writerow([
            "kommunenummer", "navn", "aar", "innbyggere", "mottakere",
            "andel_koordinator_prosent", "andel_individuell_plan_prosent",
        ])
        writer.writerows(rows)


def check_divisions(rows):
    """The codes of 2019, 2020 and 2024 must be exactly the register's Trøndelag codes."""
    for year, path in DIVISIONS.items():
        register = {r["kommunenummer"] for r in read(path) if r["kommunenummer"].startswith("50")}
        ours = {r[0] for r in rows if r[2] == year}
        if ours != register:
            raise SystemExit(f"{year}: {sorted(ours ^ register)} differ from {path}")


if __name__ == "__main__":
    main()
