//! JSON-stat 2 datasets, PxWebApi v2's default output: `id` and `size` name the
//! dimensions in the order of `value` (row-major), `dimension` gives each one's
//! categories, `status` the symbol of a value that is not there (`..`, `:`).
//!
//! Numbers are taken as the text the file wrote (never through a float), and the size
//! is checked (the product of `size` must match the categories and the values, and stay
//! under [`cube::MAX_VALUES`]) before anything is laid out.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::cube::{self, Cube, Datum, Dimension, Role};

/// Whether the bytes look like a JSON-stat dataset (a JSON object with `dimension`).
pub fn looks_like(bytes: &[u8]) -> bool {
    let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace());
    let head = &bytes[..bytes.len().min(65_536)];
    start.is_some_and(|i| bytes[i] == b'{') && head.windows(11).any(|w| w == b"\"dimension\"")
}

#[derive(Deserialize)]
struct Dataset {
    #[serde(default)]
    class: Option<String>,
    #[serde(default)]
    label: Option<String>,
    id: Vec<String>,
    size: Vec<u64>,
    dimension: BTreeMap<String, DimensionIn>,
    value: Box<RawValue>,
    #[serde(default)]
    status: Option<Status>,
    #[serde(default)]
    role: Option<Roles>,
}

#[derive(Deserialize)]
struct DimensionIn {
    #[serde(default)]
    label: Option<String>,
    category: Category,
}

#[derive(Deserialize)]
struct Category {
    #[serde(default)]
    index: Option<Index>,
    #[serde(default)]
    label: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Index {
    List(Vec<String>),
    Map(BTreeMap<String, u64>),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Status {
    All(String),
    List(Vec<Option<String>>),
    Map(BTreeMap<String, String>),
}

#[derive(Deserialize, Default)]
struct Roles {
    #[serde(default)]
    time: Vec<String>,
    #[serde(default)]
    geo: Vec<String>,
    #[serde(default)]
    metric: Vec<String>,
}

fn json_error(e: &serde_json::Error) -> String {
    let what = match e.classify() {
        serde_json::error::Category::Data => {
            "har ikke feltene et JSON-stat 2-datasett skal ha (id, size, dimension, value)"
        }
        serde_json::error::Category::Eof => "slutter for tidlig",
        _ => "er ikke gyldig JSON",
    };
    format!(
        "JSON-filen {what} (linje {}, kolonne {}).",
        e.line(),
        e.column()
    )
}

/// One value: a number's text, `null` (a symbol from `status`, else `..`).
fn datum(raw: &RawValue, status: Option<&str>, at: usize) -> Result<Datum, String> {
    let text = raw.get().trim();
    if text == "null" {
        let symbol = status
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .unwrap_or("..");
        return Ok(Datum::Symbol(symbol.to_string()));
    }
    if let Some(quoted) = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        return Ok(Datum::Symbol(quoted.to_string()));
    }
    if text.starts_with(['-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9']) {
        return Ok(Datum::Number(text.to_string()));
    }
    Err(format!(
        "Verdi nr. {} i JSON-stat-filen er verken et tall, null eller en tekst.",
        at + 1
    ))
}

/// Reads a JSON-stat 2 dataset into a cube.
pub fn read(bytes: &[u8]) -> Result<Cube, String> {
    let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    let text = std::str::from_utf8(bytes)
        .map_err(|_| "JSON-filen er ikke UTF-8, som JSON skal være.".to_string())?;
    let dataset: Dataset = serde_json::from_str(text).map_err(|e| json_error(&e))?;
    if dataset.class.as_deref().is_some_and(|c| c != "dataset") {
        return Err(format!(
            "JSON-stat-filen er en «{}», ikke et datasett (class «dataset»).",
            dataset.class.unwrap_or_default()
        ));
    }
    if dataset.id.len() != dataset.size.len() {
        return Err(format!(
            "JSON-stat-filen nevner {} dimensjoner i «id», men {} størrelser i «size».",
            dataset.id.len(),
            dataset.size.len()
        ));
    }
    let total = cube::checked_size(dataset.size.iter().copied(), "JSON-stat")?;
    let roles = dataset.role.unwrap_or_default();
    let mut dimensions = Vec::with_capacity(dataset.id.len());
    for (id, size) in dataset.id.iter().zip(&dataset.size) {
        let d = dataset.dimension.get(id).ok_or_else(|| {
            format!("JSON-stat-filen nevner dimensjonen «{id}» i «id», men beskriver den ikke under «dimension».")
        })?;
        let labels = d.category.label.clone().unwrap_or_default();
        let codes: Vec<String> = match &d.category.index {
            Some(Index::List(codes)) => codes.clone(),
            Some(Index::Map(positions)) => {
                let mut slots: Vec<Option<String>> = vec![None; positions.len()];
                for (code, at) in positions {
                    let slot = usize::try_from(*at)
                        .ok()
                        .and_then(|at| slots.get_mut(at))
                        .filter(|s| s.is_none())
                        .ok_or_else(|| {
                            format!("Dimensjonen «{id}» i JSON-stat-filen har en ugyldig indeks for «{code}».")
                        })?;
                    *slot = Some(code.clone());
                }
                slots.into_iter().flatten().collect()
            }
            // One category may be given by its label alone.
            None => labels.keys().cloned().collect(),
        };
        if codes.len() as u64 != *size {
            return Err(format!(
                "Dimensjonen «{id}» i JSON-stat-filen har {} kategorier, men «size» sier {size}.",
                codes.len()
            ));
        }
        let label = d.label.clone().unwrap_or_else(|| id.clone());
        let role = if roles.geo.contains(id) {
            Role::Region
        } else if roles.time.contains(id) {
            Role::Time
        } else if roles.metric.contains(id) {
            Role::Variable
        } else {
            cube::role_by_name(id, &label)
        };
        let categories = codes
            .into_iter()
            .map(|code| {
                let label = labels.get(&code).cloned().unwrap_or_default();
                (code, label)
            })
            .collect();
        dimensions.push(Dimension {
            id: id.clone(),
            label,
            role,
            categories,
        });
    }
    let total = usize::try_from(total).map_err(|_| "JSON-stat-filen er for stor.".to_string())?;
    let status_at = |i: usize| -> Option<&str> {
        match &dataset.status {
            None => None,
            Some(Status::All(s)) => Some(s.as_str()),
            Some(Status::List(list)) => list.get(i).and_then(|s| s.as_deref()),
            Some(Status::Map(map)) => map.get(&i.to_string()).map(String::as_str),
        }
    };
    let raw = dataset.value.get().trim_start();
    let mut values = Vec::with_capacity(total);
    if raw.starts_with('[') {
        let list: Vec<Box<RawValue>> = serde_json::from_str(raw).map_err(|e| json_error(&e))?;
        if list.len() != total {
            return Err(format!(
                "JSON-stat-filen har {} verdier, men dimensjonene gir {total} (produktet av «size»).",
                list.len()
            ));
        }
        for (i, v) in list.iter().enumerate() {
            values.push(datum(v, status_at(i), i)?);
        }
    } else if raw.starts_with('{') {
        // The sparse form: only the values that are there, by position.
        let map: BTreeMap<String, Box<RawValue>> =
            serde_json::from_str(raw).map_err(|e| json_error(&e))?;
        if let Some(bad) = map
            .keys()
            .find(|k| k.parse::<usize>().map_or(true, |i| i >= total))
        {
            return Err(format!(
                "JSON-stat-filen har en verdi i posisjon «{bad}», utenfor de {total} dimensjonene gir."
            ));
        }
        for i in 0..total {
            values.push(match map.get(&i.to_string()) {
                Some(v) => datum(v, status_at(i), i)?,
                None => Datum::Symbol(status_at(i).unwrap_or("..").to_string()),
            });
        }
    } else {
        return Err("«value» i JSON-stat-filen er verken en liste eller et objekt.".into());
    }
    Ok(Cube {
        title: dataset.label.unwrap_or_default(),
        dimensions,
        values,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = r#"{"version":"2.0","class":"dataset","label":"12617: Mottakere","source":"Statistisk sentralbyrå",
      "id":["Region","ContentsCode","Tid"],"size":[2,1,2],
      "dimension":{
        "Region":{"label":"region","category":{"index":{"5001":0,"5025":1},"label":{"5001":"Trondheim","5025":"Røros"}}},
        "ContentsCode":{"label":"statistikkvariabel","category":{"index":{"AndelKoord":0},"label":{"AndelKoord":"Andel mottakere med koordinator (prosent)"}}},
        "Tid":{"label":"år","category":{"index":{"2022":0,"2023":1},"label":{"2022":"2022","2023":"2023"}}}},
      "value":[12.6,13.10,null,0.3],"status":{"2":".."},
      "role":{"time":["Tid"],"metric":["ContentsCode"],"geo":["Region"]}}"#;

    #[test]
    fn reads_numbers_as_written_and_symbols_from_status() {
        let cube = read(SMALL.as_bytes()).unwrap();
        assert_eq!(cube.dimensions[0].role, Role::Region);
        assert_eq!(cube.dimensions[1].role, Role::Variable);
        assert_eq!(cube.values[1], Datum::Number("13.10".into()));
        assert_eq!(cube.values[2], Datum::Symbol("..".into()));
        assert!(looks_like(SMALL.as_bytes()));
        assert!(!looks_like(b"region;2022\n"));
    }

    #[test]
    fn hostile_sizes_and_counts_are_refused() {
        let lying = SMALL.replace("\"size\":[2,1,2]", "\"size\":[2,1,3]");
        assert!(read(lying.as_bytes()).unwrap_err().contains("kategorier"));
        let huge = SMALL.replace("\"size\":[2,1,2]", "\"size\":[4294967296,4294967296,2]");
        assert!(read(huge.as_bytes()).unwrap_err().contains("for stor"));
        let short = SMALL.replace("[12.6,13.10,null,0.3]", "[12.6,13.10,null]");
        assert!(read(short.as_bytes()).unwrap_err().contains("3 verdier"));
        assert!(read(b"{\"dimension\":").unwrap_err().contains("JSON-filen"));
        assert!(read(b"[1,2]").is_err());
    }
}
