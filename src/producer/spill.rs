//! Spilled batches: what close could not send, written to a directory the application names,
//! and read back by the next producer started with it. A file holds one batch: a header line
//! (`LTSSPILL1`), a JSON line (project, unit, batch id, log count) and the raw `LogsData`
//! bytes. Files are written under a temporary name and renamed, so a crash never leaves half
//! a batch under a batch's name.

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

/// Every readable spilled batch in `dir` (files that do not parse are left alone).
pub(crate) fn read_all(dir: &Path) -> Vec<Spilled> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<Spilled> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == EXT))
        .filter_map(|p| std::fs::read(&p).ok().and_then(|b| parse(p, b)))
        .collect();
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
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
}
