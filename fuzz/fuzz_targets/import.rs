//! The whole import path on arbitrary bytes: recognise the file, read it, and interpret
//! it as an application workbook, an allocation table and a statistics table (CSV,
//! JSON-stat and PX included). Nothing may panic in our code.
//!
//! calamine itself panics on some crafted .xls files (the first run found one in seconds:
//! `tests/fixtures/calamine-panic.xls`). The server reads in an isolated child process, so
//! such a panic costs one upload; here it is caught, so the fuzzer goes on into our code.
//! Aborts, timeouts and unbounded memory are still reported by libFuzzer.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tilskudd::domain::kommune::Register;
use tilskudd::sheets::detect::{Format, Limits, detect, detect_statistics};
use tilskudd::sheets::{allocations, application, cube, jsonstat, px, read, statistics};

/// libFuzzer's panic hook aborts on every panic, also inside `catch_unwind`; this one
/// lets calamine's own panics unwind (to be caught below) and aborts on all others.
fn abort_unless_calamine() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let in_calamine = info
                .location()
                .is_some_and(|l| l.file().contains("/calamine-"));
            if !in_calamine {
                previous(info);
            }
        }));
    });
}

/// The statistics readers: JSON-stat and PX into the long table, CSV as it is.
fn statistics_path(bytes: &[u8], limits: &Limits) {
    static REGISTER: std::sync::OnceLock<Register> = std::sync::OnceLock::new();
    let register = REGISTER.get_or_init(|| {
        let (divisions, changes) = tilskudd::sample::register().expect("the sample register");
        Register::new(
            divisions
                .iter()
                .flat_map(|(y, ms)| ms.iter().map(move |m| (*y, m.clone()))),
            changes,
        )
    });
    let table = match detect_statistics(bytes, limits) {
        Ok(Format::JsonStat) => jsonstat::read(bytes).and_then(|c| cube::to_grid(&c, "JSON-stat")),
        Ok(Format::Px) => px::read(bytes).and_then(|c| cube::to_grid(&c, "PX")),
        Ok(Format::Csv) => {
            if let Ok(workbook) = read::read_csv(bytes) {
                let _ = statistics::parse(&workbook, None, register);
            }
            return;
        }
        _ => return,
    };
    if let Ok((grid, places)) = table {
        let workbook = tilskudd::sheets::Workbook {
            format: "fuzz".into(),
            sheets: vec![grid],
        };
        let _ = statistics::parse_located(&workbook, None, register, &places);
    }
}

fuzz_target!(|bytes: &[u8]| {
    abort_unless_calamine();
    let limits = Limits::default();
    // What the server reads from the reader process, were that process subverted.
    let _ = tilskudd::sheets::wire::decode(bytes);
    statistics_path(bytes, &limits);
    let Ok(format) = detect(bytes, &limits, true) else {
        return;
    };
    let workbook = match format {
        Format::Csv => Ok(read::read_csv(bytes)),
        other => std::panic::catch_unwind(|| read::read_workbook(bytes, other, &limits)),
    };
    if let Ok(Ok(workbook)) = workbook {
        let _ = application::parse(&workbook);
        let _ = allocations::parse(&workbook);
    }
});
