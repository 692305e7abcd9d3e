//! Reading the files a user names (token, CA certificates, `scimcheck.toml`, case files) without
//! trusting them: only regular files, and never more than a cap. `/dev/zero` would grow without
//! end, and opening a FIFO for reading blocks until someone writes to it.

use std::io::Read;
use std::path::{Path, PathBuf};

use thiserror::Error;

/// A token file holds one token.
pub const TOKEN_LIMIT: u64 = 64 * 1024;
/// A PEM bundle of a few dozen certificates.
pub const CA_LIMIT: u64 = 1024 * 1024;
/// `scimcheck.toml`.
pub(crate) const CONFIG_LIMIT: u64 = 1024 * 1024;
/// One case file.
pub(crate) const CASE_LIMIT: u64 = 1024 * 1024;

#[derive(Debug, Error)]
pub enum FileError {
    /// The I/O error is said in the message, so it is not a separate source as well: an
    /// error chain would say it twice.
    #[error("failed to read {}: {cause}", path.display())]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("{} is not a regular file ({kind})", path.display())]
    NotAFile { path: PathBuf, kind: &'static str },
    #[error("{} is larger than {}", path.display(), show_bytes(*limit))]
    TooLarge { path: PathBuf, limit: u64 },
    #[error("{} is not UTF-8 text", path.display())]
    NotText { path: PathBuf },
}

/// The contents of `path`, a regular file of at most `limit` bytes.
pub fn read(path: &Path, limit: u64) -> Result<Vec<u8>, FileError> {
    let io = |cause| FileError::Io {
        path: path.to_owned(),
        cause,
    };
    // The type is checked before opening: opening a FIFO blocks, so checking after would hang.
    let kind = std::fs::metadata(path).map_err(io)?.file_type();
    if !kind.is_file() {
        return Err(FileError::NotAFile {
            path: path.to_owned(),
            kind: describe(kind),
        });
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .map_err(io)?
        // One byte more than allowed tells "exactly at the cap" from "over it".
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(FileError::TooLarge {
            path: path.to_owned(),
            limit,
        });
    }
    Ok(bytes)
}

/// [`read`], as UTF-8 text.
pub fn read_text(path: &Path, limit: u64) -> Result<String, FileError> {
    String::from_utf8(read(path, limit)?).map_err(|_| FileError::NotText {
        path: path.to_owned(),
    })
}

/// Whether `path` exists; anything there but a regular file (a FIFO, whose opening blocks; a
/// device such as `/dev/zero`, which never ends) is an error.
pub(crate) fn regular_if_present(path: &Path) -> Result<bool, FileError> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() => Ok(true),
        Ok(meta) => Err(FileError::NotAFile {
            path: path.to_owned(),
            kind: describe(meta.file_type()),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(cause) => Err(FileError::Io {
            path: path.to_owned(),
            cause,
        }),
    }
}

/// Whether `kind` is a FIFO (named pipe): opening one blocks until the other end is opened.
pub fn is_fifo(kind: std::fs::FileType) -> bool {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileTypeExt::is_fifo(&kind)
    }
    #[cfg(not(unix))]
    {
        let _ = kind;
        false
    }
}

fn describe(kind: std::fs::FileType) -> &'static str {
    if is_fifo(kind) {
        return "a FIFO";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_char_device() || kind.is_block_device() {
            return "a device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    if kind.is_dir() {
        "a directory"
    } else {
        "not a plain file"
    }
}

/// `8 MiB`, `64 KiB` or `512 bytes`: sizes as a person writes them.
pub(crate) fn show_bytes(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    const GIB: u64 = 1024 * MIB;
    if bytes >= GIB && bytes.is_multiple_of(GIB) {
        format!("{} GiB", bytes / GIB)
    } else if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= 1024 && bytes.is_multiple_of(1024) {
        format!("{} KiB", bytes / 1024)
    } else {
        format!("{bytes} bytes")
    }
}

/// A size such as `8MiB`, `512 KiB`, `2MB` or `1000000` (bytes).
pub fn parse_bytes(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a size like 8MiB, 512KiB or 1000000"))?;
    let unit_bytes: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1000,
        "kib" => 1024,
        "m" | "mb" => 1000 * 1000,
        "mib" => 1024 * 1024,
        "g" | "gb" => 1000 * 1000 * 1000,
        "gib" => 1024 * 1024 * 1024,
        _ => {
            return Err(format!(
                "`{text}`: unknown unit (use B, KiB, MiB, GiB, KB, MB or GB)"
            ));
        }
    };
    number
        .checked_mul(unit_bytes)
        .ok_or_else(|| format!("`{text}` is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!("scimcheck-files-{}-{name}", uuid::Uuid::new_v4()))
    }

    #[test]
    fn reads_a_file_up_to_its_cap_and_refuses_one_byte_more() {
        let path = temp("cap");
        std::fs::write(&path, "0123456789").unwrap();
        assert_eq!(read(&path, 10).unwrap(), b"0123456789");
        let error = read(&path, 9).unwrap_err();
        assert!(
            matches!(error, FileError::TooLarge { limit: 9, .. }),
            "{error}"
        );
        assert!(
            error.to_string().ends_with("is larger than 9 bytes"),
            "{error}"
        );
        std::fs::remove_file(path).ok();
    }

    #[test]
    fn refuses_directories_devices_and_missing_files() {
        let dir = std::env::temp_dir();
        assert!(matches!(
            read(&dir, CASE_LIMIT),
            Err(FileError::NotAFile {
                kind: "a directory",
                ..
            })
        ));
        #[cfg(unix)]
        assert!(matches!(
            read(Path::new("/dev/zero"), CA_LIMIT),
            Err(FileError::NotAFile {
                kind: "a device",
                ..
            })
        ));
        assert!(matches!(
            read(&temp("missing"), TOKEN_LIMIT),
            Err(FileError::Io { .. })
        ));
    }

    #[test]
    fn refuses_binary_where_text_is_expected() {
        let path = temp("binary");
        std::fs::write(&path, [0xff, 0xfe, 0x00]).unwrap();
        assert!(matches!(
            read_text(&path, 10),
            Err(FileError::NotText { .. })
        ));
        std::fs::remove_file(path).ok();
    }

    #[test]
    fn parses_and_shows_sizes() {
        let cases = [
            ("8MiB", Ok(8 * 1024 * 1024)),
            ("512 KiB", Ok(512 * 1024)),
            ("2MB", Ok(2_000_000)),
            ("1000000", Ok(1_000_000)),
            ("1gib", Ok(1024 * 1024 * 1024)),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_bytes(text), expected, "{text}");
        }
        for bad in [
            "",
            "MiB",
            "8 parsecs",
            "-1",
            "1.5MiB",
            "99999999999999999999GiB",
        ] {
            assert!(parse_bytes(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_bytes("18446744073709551615GiB").unwrap_err(),
            "`18446744073709551615GiB` is too large"
        );
        assert_eq!(show_bytes(2 * 1024 * 1024 * 1024), "2 GiB");
        assert_eq!(show_bytes(8 * 1024 * 1024), "8 MiB");
        assert_eq!(show_bytes(64 * 1024), "64 KiB");
        assert_eq!(show_bytes(1000), "1000 bytes");
    }
}
