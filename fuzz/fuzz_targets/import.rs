//! The whole import path on arbitrary bytes: recognise the file, read it (in-process
//! here, so a reader crash shows up as a finding), and interpret it both as an
//! application workbook and as an allocation table. Nothing may panic in our code.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tilskudd::sheets::detect::{Format, Limits, detect};
use tilskudd::sheets::{allocations, application, read};

fuzz_target!(|bytes: &[u8]| {
    let limits = Limits::default();
    let Ok(format) = detect(bytes, &limits, true) else {
        return;
    };
    let workbook = match format {
        Format::Csv => read::read_csv(bytes),
        other => read::read_workbook(bytes, other, &limits),
    };
    if let Ok(workbook) = workbook {
        let _ = application::parse(&workbook);
        let _ = allocations::parse(&workbook);
    }
});
