//! The whole import path on arbitrary bytes: recognise the file, read it, and interpret
//! it both as an application workbook and as an allocation table. Nothing may panic in
//! our code.
//!
//! calamine itself panics on some crafted .xls files (the first run found one in seconds:
//! `tests/fixtures/calamine-panic.xls`). The server reads in an isolated child process, so
//! such a panic costs one upload; here it is caught, so the fuzzer goes on into our code.
//! Aborts, timeouts and unbounded memory are still reported by libFuzzer.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tilskudd::sheets::detect::{Format, Limits, detect};
use tilskudd::sheets::{allocations, application, read};

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

fuzz_target!(|bytes: &[u8]| {
    abort_unless_calamine();
    let limits = Limits::default();
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
