//! Packing, signing, verifying and unpacking a release archive.

use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use zipsign_api::VerifyingKey;

use super::ReleaseError;
use super::keys::signing_key;

/// The binary's name inside an archive.
pub const ARCHIVE_BINARY: &str = "upsignon";

pub fn archive_name(version: &str) -> String {
    format!("upsignon-{version}-{}-linux.tar.gz", std::env::consts::ARCH)
}

fn read_error(path: &Path) -> impl Fn(std::io::Error) -> ReleaseError + '_ {
    move |e| ReleaseError::Read {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

fn write_error(path: &Path) -> impl Fn(std::io::Error) -> ReleaseError + '_ {
    move |e| ReleaseError::Write {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

/// Packs `binary` as `upsignon` into `<out_dir>/<archive_name>` and signs it
/// with the key `secret_hex`. Returns the archive's path.
pub fn pack(
    binary: &Path,
    version: &str,
    secret_hex: &str,
    out_dir: &Path,
) -> Result<PathBuf, ReleaseError> {
    let key = signing_key(secret_hex)?;
    let mut unsigned = tempfile_in(out_dir)?;
    {
        let mut builder = tar::Builder::new(GzEncoder::new(&mut unsigned, Compression::default()));
        let mut header = tar::Header::new_gnu();
        let size = fs::metadata(binary).map_err(read_error(binary))?.len();
        header.set_size(size);
        header.set_mode(0o755);
        header.set_mtime(0);
        header.set_cksum();
        let file = File::open(binary).map_err(read_error(binary))?;
        builder
            .append_data(&mut header, ARCHIVE_BINARY, file)
            .map_err(write_error(out_dir))?;
        builder
            .into_inner()
            .and_then(|gz| gz.finish())
            .map_err(write_error(out_dir))?;
    }
    unsigned.rewind().map_err(write_error(out_dir))?;
    let path = out_dir.join(archive_name(version));
    let mut signed = File::create(&path).map_err(write_error(&path))?;
    zipsign_api::sign::copy_and_sign_tar(&mut unsigned, &mut signed, &[key], None)
        .map_err(|e| ReleaseError::Sign(e.to_string()))?;
    signed.sync_all().map_err(write_error(&path))?;
    Ok(path)
}

/// Checks that a trusted key signed `archive`, then unpacks its binary into
/// `into` (mode 0755). Nothing is unpacked from an archive that fails.
pub fn verify_and_extract(
    archive: &Path,
    keys: &[VerifyingKey],
    into: &Path,
) -> Result<PathBuf, ReleaseError> {
    let mut file = File::open(archive).map_err(read_error(archive))?;
    zipsign_api::verify::verify_tar(&mut file, keys, None).map_err(|e| {
        ReleaseError::BadSignature {
            path: archive.to_path_buf(),
            reason: error_chain(&e),
        }
    })?;
    file.seek(SeekFrom::Start(0)).map_err(read_error(archive))?;
    let mut entries = tar::Archive::new(GzDecoder::new(file));
    let target = into.join(ARCHIVE_BINARY);
    for entry in entries.entries().map_err(read_error(archive))? {
        let mut entry = entry.map_err(read_error(archive))?;
        let is_binary = entry
            .path()
            .map(|p| p.as_ref() == Path::new(ARCHIVE_BINARY))
            .unwrap_or(false);
        if !is_binary {
            continue;
        }
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).map_err(read_error(archive))?;
        let mut out = File::create(&target).map_err(write_error(&target))?;
        out.write_all(&bytes)
            .and_then(|()| out.sync_all())
            .map_err(write_error(&target))?;
        fs::set_permissions(&target, fs::Permissions::from_mode(0o755))
            .map_err(write_error(&target))?;
        return Ok(target);
    }
    Err(ReleaseError::NoBinary {
        path: archive.to_path_buf(),
    })
}

fn tempfile_in(dir: &Path) -> Result<File, ReleaseError> {
    fs::create_dir_all(dir).map_err(write_error(dir))?;
    let path = dir.join(format!(".unsigned-{}.tar.gz", std::process::id()));
    let file = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)
        .map_err(write_error(&path))?;
    let _ = fs::remove_file(&path);
    Ok(file)
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::release::{generate_key_pair, trusted_keys};

    #[test]
    fn a_signed_archive_unpacks_and_a_tampered_one_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let binary = dir.path().join("bin");
        fs::write(&binary, b"#!/bin/sh\necho upsignon 9.9.9\n").unwrap();
        let pair = generate_key_pair().unwrap();
        let keys = trusted_keys(std::slice::from_ref(&pair.public_hex)).unwrap();
        let archive = pack(&binary, "9.9.9", &pair.secret_hex, dir.path()).unwrap();
        let out = dir.path().join("out");
        fs::create_dir(&out).unwrap();
        let unpacked = verify_and_extract(&archive, &keys, &out).unwrap();
        assert_eq!(fs::read(unpacked).unwrap(), fs::read(&binary).unwrap());

        let other = generate_key_pair().unwrap();
        let untrusted = trusted_keys(&[other.public_hex]).unwrap();
        assert!(matches!(
            verify_and_extract(&archive, &untrusted, &out),
            Err(ReleaseError::BadSignature { .. })
        ));

        let mut bytes = fs::read(&archive).unwrap();
        let last = bytes.len() - 20;
        bytes[last] ^= 0xff;
        fs::write(&archive, bytes).unwrap();
        assert!(matches!(
            verify_and_extract(&archive, &keys, &out),
            Err(ReleaseError::BadSignature { .. })
        ));
    }
}
