//! Spilled batches: what close could not send, written to a directory the application names,
//! and read back by the next producer started with it. A file holds one batch: a header line
//! (`LTSSPILL1`), a JSON line (project, unit, batch id, log count) and the raw `LogsData`
//! bytes. Files are written under a temporary name and renamed, so a crash never leaves half
//! a batch under a batch's name. Reading is bounded: a file larger than any batch is left
//! unread and named in a warning.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

const MAGIC: &[u8] = b"LTSSPILL1\n";
const EXT: &str = "ltsbatch";

pub(crate) struct Spilled {
    pub path: PathBuf,
    pub project: String,
    pub unit: String,
    pub batch_id: String,
    pub log_count: usize,
    pub logs_data: Vec<u8>,
}

fn safe_name(batch_id: &str) -> bool {
    !batch_id.is_empty()
        && batch_id.len() <= 128
        && batch_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Writes one batch; returns its file.
pub(crate) fn write(
    dir: &Path,
    project: &str,
    unit: &str,
    batch_id: &str,
    log_count: usize,
    logs_data: &[u8],
) -> io::Result<PathBuf> {
    if !safe_name(batch_id) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "batch id unfit for a file name",
        ));
    }
    std::fs::create_dir_all(dir)?;
    let path = dir.join(format!("{batch_id}.{EXT}"));
    let tmp = dir.join(format!(".{batch_id}.tmp"));
    let header = serde_json::json!({
        "project": project, "unit": unit, "batch_id": batch_id, "log_count": log_count,
    });
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(MAGIC)?;
    f.write_all(header.to_string().as_bytes())?;
    f.write_all(b"\n")?;
    f.write_all(logs_data)?;
    f.sync_all()?;
    std::fs::rename(&tmp, &path)?;
    Ok(path)
}

fn parse(path: PathBuf, bytes: Vec<u8>) -> Option<Spilled> {
    let rest = bytes.strip_prefix(MAGIC)?;
    let nl = rest.iter().position(|&b| b == b'\n')?;
    let header: serde_json::Value = serde_json::from_slice(&rest[..nl]).ok()?;
    let text = |k: &str| header.get(k)?.as_str().map(str::to_owned);
    let batch_id = text("batch_id")?;
    if !safe_name(&batch_id) {
        return None;
    }
    Some(Spilled {
        project: text("project")?,
        unit: text("unit")?,
        log_count: header.get("log_count")?.as_u64()? as usize,
        batch_id,
        logs_data: rest[nl + 1..].to_vec(),
        path,
    })
}

use crate::profile::MAX_SPILL_FILE_BYTES as MAX_FILE_BYTES;

/// A file with the spill extension that was left where it is, unread or unusable.
pub(crate) struct Skipped {
    pub path: PathBuf,
    pub why: String,
}

/// The batches of a spill directory, and the files in it that are not batches.
pub(crate) struct Scan {
    pub batches: Vec<Spilled>,
    pub skipped: Vec<Skipped>,
}

/// Every spilled batch in `dir` (sorted by file name), and the files that were skipped:
/// larger than [`MAX_FILE_BYTES`] or not regular files (refused before a byte is read),
/// unreadable, or not in the spill format. Skipped files stay where they are.
pub(crate) fn scan(dir: &Path) -> Scan {
    let mut scan = Scan {
        batches: Vec::new(),
        skipped: Vec::new(),
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return scan;
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == EXT))
        .collect();
    paths.sort();
    for path in paths {
        match crate::bounded_file::read(&path, MAX_FILE_BYTES) {
            Ok(bytes) => match parse(path.clone(), bytes) {
                Some(s) => scan.batches.push(s),
                None => scan.skipped.push(Skipped {
                    path,
                    why: "it is not a spilled batch".to_owned(),
                }),
            },
            Err(e) => scan.skipped.push(Skipped {
                path,
                why: e.to_string(),
            }),
        }
    }
    scan
}

/// The line saying which files of a spill directory were skipped (at most a few named).
pub(crate) fn skipped_line(dir: &Path, skipped: &[Skipped]) -> Option<String> {
    const NAMED: usize = 3;
    let first = skipped.first()?;
    let mut line = format!(
        "left {} file(s) in the spill directory {} unsent, as they are not batches this \
         library spilled: {}: {}",
        skipped.len(),
        dir.display(),
        first.path.display(),
        first.why
    );
    for s in skipped.iter().skip(1).take(NAMED - 1) {
        line.push_str(&format!("; {}: {}", s.path.display(), s.why));
    }
    if skipped.len() > NAMED {
        line.push_str(&format!("; and {} more", skipped.len() - NAMED));
    }
    Some(line)
}

/// Every readable spilled batch in `dir`. The files skipped (see [`scan`]) are left alone
/// and named in one warning of the library's log, written on the calling thread (the
/// producer's start).
pub(crate) fn read_all(dir: &Path) -> Vec<Spilled> {
    let scan = scan(dir);
    if let Some(line) = skipped_line(dir, &scan.skipped) {
        crate::log::write(crate::log::Level::Warn, &line);
    }
    scan.batches
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_bad_ids() {
        let dir = std::env::temp_dir().join(format!("lts-spill-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = write(&dir, "p", "u", "1234-abcd", 3, b"\x0a\x00raw").unwrap();
        std::fs::write(dir.join("junk.ltsbatch"), b"not a spill").unwrap();
        let all = read_all(&dir);
        assert_eq!(all.len(), 1);
        let s = &all[0];
        assert_eq!(
            (
                s.project.as_str(),
                s.unit.as_str(),
                s.batch_id.as_str(),
                s.log_count
            ),
            ("p", "u", "1234-abcd", 3)
        );
        assert_eq!(
            (s.logs_data.as_slice(), &s.path),
            (&b"\x0a\x00raw"[..], &path)
        );
        assert!(write(&dir, "p", "u", "../escape", 1, b"").is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn oversized_and_foreign_files_are_skipped_unread_and_named() {
        let dir = std::env::temp_dir().join(format!("lts-spill-bound-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let good = write(&dir, "p", "u", "1111-good", 1, b"raw").unwrap();
        // Sparse: past the bound by a byte, yet it takes no disk, and only a size check
        // before reading can refuse it without reading 5 MiB.
        let big = dir.join("2222-big.ltsbatch");
        let f = std::fs::File::create(&big).unwrap();
        f.set_len(MAX_FILE_BYTES + 1).unwrap();
        // Even a huge one (1 TiB) is refused at once, as it is never read.
        let huge = dir.join("3333-huge.ltsbatch");
        std::fs::File::create(&huge)
            .unwrap()
            .set_len(1 << 40)
            .unwrap();
        std::fs::write(dir.join("4444-junk.ltsbatch"), b"not a spill").unwrap();
        std::fs::create_dir(dir.join("5555-dir.ltsbatch")).unwrap();
        // A FIFO: opening it to read would wait for a writer, and start would never return.
        let fifo = std::ffi::CString::new(
            dir.join("6666-fifo.ltsbatch")
                .into_os_string()
                .into_encoded_bytes(),
        )
        .unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);

        let started = std::time::Instant::now();
        let scan = scan(&dir);
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        assert_eq!(scan.batches.len(), 1);
        assert_eq!(scan.batches[0].path, good);
        let skipped: Vec<(String, &str)> = scan
            .skipped
            .iter()
            .map(|s| {
                (
                    s.path.file_name().unwrap().to_string_lossy().into_owned(),
                    s.why.as_str(),
                )
            })
            .collect();
        let over = |size: u64| {
            format!("it is {size} bytes, over the limit of {MAX_FILE_BYTES} bytes (5184 KiB)")
        };
        assert_eq!(
            skipped,
            [
                (
                    "2222-big.ltsbatch".to_owned(),
                    over(MAX_FILE_BYTES + 1).as_str()
                ),
                ("3333-huge.ltsbatch".to_owned(), over(1 << 40).as_str()),
                ("4444-junk.ltsbatch".to_owned(), "it is not a spilled batch"),
                (
                    "5555-dir.ltsbatch".to_owned(),
                    "it is a directory, not a regular file"
                ),
                (
                    "6666-fifo.ltsbatch".to_owned(),
                    "it is a pipe (FIFO), not a regular file"
                ),
            ]
        );
        // Left where they are, for whoever knows what they are.
        assert!(big.exists() && huge.exists());

        let line = skipped_line(&dir, &scan.skipped).unwrap();
        assert!(
            line.starts_with("left 5 file(s) in the spill directory")
                && line.contains("2222-big.ltsbatch: it is 5308417 bytes, over the limit")
                && line.contains("4444-junk.ltsbatch: it is not a spilled batch")
                && line.ends_with("; and 2 more"),
            "{line}"
        );
        assert!(skipped_line(&dir, &[]).is_none());

        // read_all writes that line to the library's log (the hook is the process's: keep
        // only this directory's lines).
        let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        let (sink, name) = (lines.clone(), dir.display().to_string());
        crate::log::set_hook(Some(std::sync::Arc::new(move |_, l: &str| {
            if l.contains(&name) {
                sink.lock().unwrap().push(l.to_owned());
            }
        })));
        let batches = read_all(&dir);
        crate::log::set_hook(None);
        assert_eq!(batches.len(), 1);
        assert_eq!(*lines.lock().unwrap(), [line]);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
