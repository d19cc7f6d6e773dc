//! Any bytes, as the decrypted contents of a backup file (JSON lines):
//! read and checked to the end, refused as damaged or accepted, never a
//! panic. Bytes starting with the gzip magic also go through gunzip.
#![no_main]

use std::io::{BufReader, Read};
use std::path::Path;

use libfuzzer_sys::fuzz_target;
use upsignon_ops::backup::read_records;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz.upsignon-backup");
    let mut rows = 0u64;
    let mut visit = |_item: upsignon_ops::backup::Item<'_>| {
        rows += 1;
        Ok(())
    };
    if data.starts_with(&[0x1f, 0x8b]) {
        let unzipped = flate2::read::GzDecoder::new(data).take(1 << 20);
        let _ = read_records(BufReader::new(unzipped), path, &mut visit);
    } else {
        let _ = read_records(data, path, &mut visit);
    }
});
