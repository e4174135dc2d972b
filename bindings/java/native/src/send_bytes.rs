//! A send's bytes as `Packer.java` lays them out: the target (u32 length and UTF-8 of the log
//! project, then the same of the log unit), then the items in the packed layout. They are
//! copied out of the Java array into a buffer of the calling thread's, reused from call to call
//! (no allocation on the way to the core, and no Java object pinned while the core works).

use std::cell::RefCell;

use jni::objects::JByteArray;
use jni::sys::jint;
use jni::JNIEnv;

use crate::java::invalid;

thread_local! {
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// A buffer grown past this by a large send is not kept by the thread.
const KEEP: usize = 1 << 20;

/// Runs `f(project, unit, items)` on the first `len` bytes of `packed`.
pub fn with_send<R>(
    env: &mut JNIEnv<'_>,
    packed: &JByteArray<'_>,
    len: jint,
    f: impl FnOnce(&str, &str, &[u8]) -> lts::Result<R>,
) -> lts::Result<R> {
    if packed.is_null() {
        return Err(invalid("the packed items are null"));
    }
    let len = usize::try_from(len).map_err(|_| invalid(format!("packed items: length {len}")))?;
    SCRATCH.with(|cell| {
        // A send made from inside another on this thread (a log hook's) uses a fresh buffer.
        let mut mine = cell.try_borrow_mut().ok();
        let mut fresh = Vec::new();
        let buf: &mut Vec<u8> = match mine.as_deref_mut() {
            Some(b) => b,
            None => &mut fresh,
        };
        buf.clear();
        buf.resize(len, 0);
        // SAFETY: u8 and i8 have the same size and alignment; the slice covers `buf` exactly.
        let region = unsafe { std::slice::from_raw_parts_mut(buf.as_mut_ptr().cast::<i8>(), len) };
        env.get_byte_array_region(packed, 0, region)
            .map_err(|e| invalid(format!("packed items: {len} bytes: {e}")))?;
        let r = split(buf).and_then(|(project, unit, items)| f(project, unit, items));
        if buf.capacity() > KEEP {
            *buf = Vec::new();
        }
        r
    })
}

/// The project, the unit and the items of a send's bytes.
fn split(b: &[u8]) -> lts::Result<(&str, &str, &[u8])> {
    let (project, rest) = name(b, "log project")?;
    let (unit, items) = name(rest, "log unit")?;
    Ok((project, unit, items))
}

fn name<'a>(b: &'a [u8], what: &str) -> lts::Result<(&'a str, &'a [u8])> {
    let cut = || invalid(format!("packed items: the {what} is cut short"));
    let n = b.get(..4).ok_or_else(cut)?;
    let n = u32::from_le_bytes(n.try_into().expect("4 bytes")) as usize;
    let text = b.get(4..).and_then(|r| r.get(..n)).ok_or_else(cut)?;
    let text =
        std::str::from_utf8(text).map_err(|_| invalid(format!("the {what} is not UTF-8")))?;
    Ok((text, &b[4 + n..]))
}
