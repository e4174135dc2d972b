//! The fuzz targets on stable: each replays its committed corpus (`fuzz/corpus/<target>/`) and
//! a fixed number of seeded random inputs, some of them mutations of the corpus. The same
//! bodies run under cargo fuzz on nightly (see RELIABILITY.md).

use std::path::PathBuf;

use rand::{Rng, SeedableRng};

#[path = "../fuzz/targets.rs"]
mod targets;

const RANDOM_INPUTS: usize = 3000;

fn corpus(target: &str) -> Vec<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let seeds: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(f).unwrap()).collect();
    assert!(!seeds.is_empty(), "no corpus for {target}");
    seeds
}

fn replay(target: &str, body: impl Fn(&[u8])) {
    let seeds = corpus(target);
    for s in &seeds {
        body(s);
    }
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x5eed_1175);
    for i in 0..RANDOM_INPUTS {
        let input: Vec<u8> = if i % 2 == 0 {
            let len = rng.gen_range(0..512);
            (0..len).map(|_| rng.gen()).collect()
        } else {
            let mut s = seeds[i % seeds.len()].clone();
            for _ in 0..rng.gen_range(1..8) {
                if s.is_empty() {
                    break;
                }
                let at = rng.gen_range(0..s.len());
                match rng.gen_range(0..3) {
                    0 => s[at] = rng.gen(),
                    1 => s.truncate(at),
                    _ => s.insert(at, rng.gen()),
                }
            }
            s
        };
        body(&input);
    }
}

#[test]
fn server_decode() {
    replay("server_decode", lts_local::ingest::fuzz_put_body);
}

#[test]
fn packed_items() {
    replay("packed_items", targets::packed_items);
}

#[test]
fn c_entry_points() {
    replay("c_entry_points", targets::c_entry_points);
}

#[test]
fn c_records() {
    let (accepted, refused) = (std::cell::Cell::new(0), std::cell::Cell::new(0));
    replay("c_records", |d| {
        let c = if targets::c_records(d) {
            &accepted
        } else {
            &refused
        };
        c.set(c.get() + 1);
    });
    // Both outcomes happen, so both branches' checks ran.
    eprintln!(
        "c_records: {} accepted, {} refused",
        accepted.get(),
        refused.get()
    );
    assert!(
        accepted.get() > 10 && refused.get() > 10,
        "{} accepted, {} refused",
        accepted.get(),
        refused.get()
    );
}

/// Writes the seed corpora from real encodings (run once by hand: `cargo test --test
/// fuzz_replay -- --ignored`); the files are committed.
#[test]
#[ignore]
fn write_seed_corpora() {
    use lts::{LogItem, Value};
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    let mut items = Vec::new();
    for i in 0..3 {
        let mut it = LogItem::new();
        it.set_timestamp_ns(1_700_000_000 + i).unwrap();
        it.set_origin_msg(&format!("seed log {i}")).unwrap();
        it.push_content("level", Value::Str("info".into())).unwrap();
        it.push_content("n", Value::Int(-i)).unwrap();
        it.push_content("d", Value::Double(0.5)).unwrap();
        it.push_label("tag", Value::Str("x".into())).unwrap();
        items.push(it);
    }
    let refs: Vec<&LogItem> = items.iter().collect();
    for (name, compression, tag) in [
        ("lz4", lts::Compression::Lz4, 0u8),
        ("none", lts::Compression::None, 1),
    ] {
        let e = lts::encode::encode(&refs, compression).unwrap();
        let mut seed = vec![tag];
        seed.extend_from_slice(&(e.raw_size as u32).to_le_bytes());
        seed.extend_from_slice(&e.body);
        std::fs::write(root.join("server_decode").join(format!("{name}.bin")), seed).unwrap();
    }
    let mut packed = vec![3u8];
    packed.extend(lts::packed::pack(&refs));
    std::fs::write(root.join("packed_items/three.bin"), &packed).unwrap();
    std::fs::write(root.join("c_entry_points/strings.bin"), b"msg\xfflevel\xffinfo\xffuser_tag\xffx\xffarea:\xff9k\xffkey\xffhttp://127.0.0.1:1\xffak\xffsk\xffproj\xffput_path\xff/x\xfflz4\xffua/1\xffnot pem\xffproj\xffunit\xffproj\xffunit").unwrap();
    // Two records: 2 contents and a label, then a NULL message and a huge key length.
    let mut rec = vec![2u8];
    rec.extend_from_slice(b"\x02\x05level\x04info\x00\x00\x01\x03uid\x00\x01\x05\x01");
    rec.extend_from_slice(b"\x01\x03tag\x01x\x00\x00\x01");
    rec.extend_from_slice(b"\x01\xff\x02ab\x00\x00\x01\x00");
    rec.extend_from_slice(b"\x0bhello world\x10\xfe\x20");
    std::fs::create_dir_all(root.join("c_records")).unwrap();
    std::fs::write(root.join("c_records/two.bin"), &rec).unwrap();
    std::fs::write(
        root.join("c_entry_points/bad_utf8.bin"),
        b"\xc3\x28\xff\xe2\x82\xff\x00\x00\xffhttps://h\xff",
    )
    .unwrap();
}
