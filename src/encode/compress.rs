//! Request body compression: the one implementation the library compresses with and lts-local
//! decompresses with.

/// How a request body is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// One raw LZ4 block: no frame, no size prefix (the size travels in a header).
    Lz4,
    None,
}

impl Compression {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "lz4" => Some(Compression::Lz4),
            "none" => Some(Compression::None),
            _ => None,
        }
    }

    /// The value of the compress-type header.
    pub fn header_value(self) -> &'static str {
        match self {
            Compression::Lz4 => "lz4",
            Compression::None => "none",
        }
    }
}

/// Compresses `raw` through `scratch`, a buffer the caller keeps between batches (kept at its
/// full length, so its pages are neither mapped nor zeroed afresh for each batch); returns the
/// compressed bytes, borrowed from `scratch` (or `raw` itself when there is no compression).
pub fn compress<'a>(raw: &'a [u8], compression: Compression, scratch: &'a mut Vec<u8>) -> &'a [u8] {
    match compression {
        Compression::Lz4 => {
            let max = lz4_flex::block::get_maximum_output_size(raw.len());
            if scratch.len() < max {
                scratch.resize(max, 0);
            }
            let n = lz4_flex::block::compress_into(raw, scratch)
                .expect("the output holds lz4's maximum output size");
            &scratch[..n]
        }
        Compression::None => raw,
    }
}

/// Decompresses a body that should hold exactly `raw_size` bytes. Safe on any input: the
/// LZ4 decoder is built with its bounds-checked decoding.
pub fn decompress(
    body: &[u8],
    compression: Compression,
    raw_size: usize,
) -> Result<Vec<u8>, String> {
    let raw = match compression {
        Compression::Lz4 => lz4_flex::block::decompress(body, raw_size)
            .map_err(|e| format!("lz4 block cannot be decompressed: {e}"))?,
        Compression::None => body.to_vec(),
    };
    if raw.len() != raw_size {
        return Err(format!(
            "the body's raw size is {} but the header says {raw_size}",
            raw.len()
        ));
    }
    Ok(raw)
}
