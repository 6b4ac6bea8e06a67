//! NumPy `.npz` output: a ZIP archive of `.npy` arrays, as `numpy.savez` writes it
//! (uncompressed), so `numpy.load("features.npz")` opens it directly.
//!
//! The `.npy` header is written here by hand (format version 1.0: magic, version, a
//! little-endian u16 header length, a Python-dict header padded with spaces to a multiple of
//! 64 bytes and ending in a newline; numpy's `format.py` specification): it is a dozen lines,
//! simpler than an n-dimensional array crate for arrays that already sit in flat vectors.
//! The ZIP container comes from the `zip` crate.

use std::io::Write;
use std::path::Path;

use crate::IoError;

/// The values of one array, little-endian on disk.
#[derive(Debug, Clone, Copy)]
pub enum NpyData<'a> {
    F32(&'a [f32]),
    F64(&'a [f64]),
    I64(&'a [i64]),
    U64(&'a [u64]),
    U8(&'a [u8]),
    /// Fixed-width unicode strings (`<U{n}`), one per element.
    Str(&'a [String]),
}

impl NpyData<'_> {
    fn len(&self) -> usize {
        match self {
            Self::F32(v) => v.len(),
            Self::F64(v) => v.len(),
            Self::I64(v) => v.len(),
            Self::U64(v) => v.len(),
            Self::U8(v) => v.len(),
            Self::Str(v) => v.len(),
        }
    }

    fn str_width(v: &[String]) -> usize {
        v.iter().map(|s| s.chars().count()).max().unwrap_or(0).max(1)
    }

    fn descr(&self) -> String {
        match self {
            Self::F32(_) => "<f4".into(),
            Self::F64(_) => "<f8".into(),
            Self::I64(_) => "<i8".into(),
            Self::U64(_) => "<u8".into(),
            Self::U8(_) => "|u1".into(),
            Self::Str(v) => format!("<U{}", Self::str_width(v)),
        }
    }

    fn write_values(&self, w: &mut impl Write) -> std::io::Result<()> {
        // Values are converted in blocks so large arrays are not copied whole.
        fn blocks<T: Copy, const N: usize>(
            v: &[T],
            w: &mut impl Write,
            bytes: impl Fn(T) -> [u8; N],
        ) -> std::io::Result<()> {
            let mut buf = Vec::with_capacity(N * 8192);
            for chunk in v.chunks(8192) {
                buf.clear();
                for &x in chunk {
                    buf.extend_from_slice(&bytes(x));
                }
                w.write_all(&buf)?;
            }
            Ok(())
        }
        match self {
            Self::F32(v) => blocks(v, w, f32::to_le_bytes),
            Self::F64(v) => blocks(v, w, f64::to_le_bytes),
            Self::I64(v) => blocks(v, w, i64::to_le_bytes),
            Self::U64(v) => blocks(v, w, u64::to_le_bytes),
            Self::U8(v) => w.write_all(v),
            Self::Str(v) => {
                let width = Self::str_width(v);
                for s in v.iter() {
                    let mut cells = vec![0u8; 4 * width];
                    for (k, c) in s.chars().enumerate() {
                        cells[4 * k..4 * k + 4].copy_from_slice(&u32::from(c).to_le_bytes());
                    }
                    w.write_all(&cells)?;
                }
                Ok(())
            }
        }
    }
}

/// One named array: `shape` in C order; the product of `shape` must equal the data length.
#[derive(Debug, Clone, Copy)]
pub struct NpyArray<'a> {
    pub name: &'a str,
    pub shape: &'a [usize],
    pub data: NpyData<'a>,
}

/// The `.npy` header for `descr` and `shape` (format 1.0, padded to 64 bytes).
fn npy_header(descr: &str, shape: &[usize]) -> Vec<u8> {
    let dims = match shape {
        [n] => format!("({n},)"),
        _ => format!("({})", shape.iter().map(usize::to_string).collect::<Vec<_>>().join(", ")),
    };
    let mut dict = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {dims}, }}");
    // magic (6) + version (2) + length (2) + dict + '\n' must be a multiple of 64.
    let total = 10 + dict.len() + 1;
    dict.extend(std::iter::repeat_n(' ', total.next_multiple_of(64) - total));
    dict.push('\n');
    let mut out = Vec::with_capacity(10 + dict.len());
    out.extend_from_slice(b"\x93NUMPY\x01\x00");
    out.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    out.extend_from_slice(dict.as_bytes());
    out
}

/// Writes `arrays` to `path` as an uncompressed `.npz`, atomically (temporary file, rename).
///
/// # Panics
/// If an array's shape does not match its data length (a programming error).
pub fn write_npz(path: &Path, arrays: &[NpyArray<'_>]) -> Result<(), IoError> {
    let fail = |e: std::io::Error| IoError::Write { path: path.to_owned(), source: e };
    let zip_fail = |e: zip::result::ZipError| fail(std::io::Error::other(e));
    let tmp = crate::atomic::temp_file_beside(path).map_err(fail)?;
    let mut zip = zip::ZipWriter::new(std::io::BufWriter::new(tmp));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored).large_file(true);
    for a in arrays {
        assert_eq!(
            a.shape.iter().product::<usize>(),
            a.data.len(),
            "array '{}': shape does not match the data",
            a.name
        );
        zip.start_file(format!("{}.npy", a.name), options).map_err(zip_fail)?;
        zip.write_all(&npy_header(&a.data.descr(), a.shape)).map_err(fail)?;
        a.data.write_values(&mut zip).map_err(fail)?;
    }
    let buffered = zip.finish().map_err(zip_fail)?;
    let tmp = buffered.into_inner().map_err(|e| fail(e.into_error()))?;
    tmp.persist(path).map_err(|e| fail(e.error))?;
    Ok(())
}

/// The values of an array read back from a `.npz`.
#[derive(Debug, Clone, PartialEq)]
pub enum NpyValues {
    F32(Vec<f32>),
    F64(Vec<f64>),
    I64(Vec<i64>),
    U64(Vec<u64>),
    U8(Vec<u8>),
    Str(Vec<String>),
}

/// One array read back from a `.npz`.
#[derive(Debug, Clone, PartialEq)]
pub struct NpyOwned {
    pub name: String,
    pub shape: Vec<usize>,
    pub values: NpyValues,
}

/// Reads an uncompressed `.npz` with the dtypes [`write_npz`] writes (little-endian f4, f8,
/// i8, u8, u1 and `<U` strings, C order), arrays in archive order. Anything else is an error
/// naming the array.
pub fn read_npz(path: &Path) -> Result<Vec<NpyOwned>, IoError> {
    let bad = |what: String| IoError::Read { path: path.to_owned(), source: std::io::Error::other(what) };
    let file = std::fs::File::open(path).map_err(|e| IoError::Read { path: path.to_owned(), source: e })?;
    let mut archive = zip::ZipArchive::new(file).map_err(|e| bad(format!("not a .npz (zip) file: {e}")))?;
    let mut out = Vec::with_capacity(archive.len());
    for k in 0..archive.len() {
        let mut entry = archive.by_index(k).map_err(|e| bad(format!("zip entry {k}: {e}")))?;
        let name = entry.name().trim_end_matches(".npy").to_owned();
        let mut bytes = Vec::with_capacity(entry.size() as usize);
        std::io::Read::read_to_end(&mut entry, &mut bytes).map_err(|e| bad(format!("array '{name}': {e}")))?;
        let (descr, shape, body) = parse_npy(&bytes).map_err(|e| bad(format!("array '{name}': {e}")))?;
        let count: usize = shape.iter().product();
        let values = decode(&descr, body, count).map_err(|e| bad(format!("array '{name}': {e}")))?;
        out.push(NpyOwned { name, shape, values });
    }
    Ok(out)
}

/// Splits a `.npy` file into (descr, shape, data bytes).
fn parse_npy(bytes: &[u8]) -> Result<(String, Vec<usize>, &[u8]), String> {
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err("not a .npy array (bad magic)".into());
    }
    let (len, start) = match bytes[6] {
        1 => (usize::from(u16::from_le_bytes([bytes[8], bytes[9]])), 10),
        2 | 3 if bytes.len() >= 12 => (u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize, 12),
        v => return Err(format!("unsupported .npy version {v}")),
    };
    let header = bytes.get(start..start + len).ok_or("truncated .npy header")?;
    let header = std::str::from_utf8(header).map_err(|_| "the .npy header is not text")?;
    let field = |key: &str| -> Result<&str, String> {
        let at = header.find(&format!("'{key}':")).ok_or(format!("the .npy header has no '{key}'"))?;
        Ok(header[at + key.len() + 3..].trim_start())
    };
    if field("fortran_order")?.starts_with("True") {
        return Err("Fortran-ordered arrays are not supported".into());
    }
    let descr = field("descr")?.trim_start_matches('\'');
    let descr = descr[..descr.find('\'').ok_or("bad descr")?].to_owned();
    let dims = field("shape")?;
    let dims = &dims[1..dims.find(')').ok_or("bad shape")?];
    let shape = dims
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| d.parse::<usize>().map_err(|_| format!("bad dimension '{d}'")))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((descr, shape, &bytes[start + len..]))
}

fn decode(descr: &str, body: &[u8], count: usize) -> Result<NpyValues, String> {
    fn fixed<const N: usize, T>(body: &[u8], count: usize, f: impl Fn([u8; N]) -> T) -> Result<Vec<T>, String> {
        if body.len() != count * N {
            return Err(format!("expected {} data bytes, found {}", count * N, body.len()));
        }
        Ok(body.chunks_exact(N).map(|c| f(c.try_into().expect("chunk of N bytes"))).collect())
    }
    Ok(match descr {
        "<f4" => NpyValues::F32(fixed(body, count, f32::from_le_bytes)?),
        "<f8" => NpyValues::F64(fixed(body, count, f64::from_le_bytes)?),
        "<i8" => NpyValues::I64(fixed(body, count, i64::from_le_bytes)?),
        "<u8" => NpyValues::U64(fixed(body, count, u64::from_le_bytes)?),
        "|u1" => NpyValues::U8(fixed(body, count, |[b]: [u8; 1]| b)?),
        d if d.starts_with("<U") => {
            let width: usize = d[2..].parse().map_err(|_| format!("bad string dtype '{d}'"))?;
            let chars = fixed(body, count * width, u32::from_le_bytes)?;
            let strings = chars
                .chunks(width.max(1))
                .take(count)
                .map(|c| c.iter().take_while(|&&u| u != 0).map(|&u| char::from_u32(u).unwrap_or('\u{fffd}')).collect())
                .collect();
            NpyValues::Str(strings)
        }
        d => return Err(format!("unsupported dtype '{d}'")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_padded_to_64_bytes_and_parsable() {
        for shape in [&[3usize][..], &[2, 72], &[10, 20, 12], &[0, 4]] {
            let h = npy_header("<f4", shape);
            assert_eq!(h.len() % 64, 0);
            assert_eq!(&h[..8], b"\x93NUMPY\x01\x00");
            assert_eq!(u16::from_le_bytes([h[8], h[9]]) as usize, h.len() - 10);
            assert_eq!(h.last(), Some(&b'\n'));
        }
        let h = npy_header("<f8", &[5]);
        assert!(String::from_utf8_lossy(&h).contains("'shape': (5,)"));
    }

    #[test]
    fn npz_is_a_zip_of_npy_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("f.npz");
        let x = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0];
        let names = vec!["ab".to_owned(), "c".to_owned()];
        write_npz(
            &path,
            &[
                NpyArray { name: "x", shape: &[2, 3], data: NpyData::F32(&x) },
                NpyArray { name: "names", shape: &[2], data: NpyData::Str(&names) },
            ],
        )
        .expect("write");
        let mut archive = zip::ZipArchive::new(std::fs::File::open(&path).expect("open")).expect("zip");
        assert_eq!(archive.len(), 2);
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut archive.by_name("x.npy").expect("x.npy"), &mut bytes).expect("read");
        assert_eq!(bytes.len(), 128 + 24);
        assert_eq!(&bytes[128..132], &1.0f32.to_le_bytes());
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut archive.by_name("names.npy").expect("names.npy"), &mut bytes).expect("read");
        assert!(String::from_utf8_lossy(&bytes).contains("'descr': '<U2'"));
        assert_eq!(bytes.len(), 128 + 2 * 8);
        drop(archive);

        let back = read_npz(&path).expect("read back");
        assert_eq!(back[0], NpyOwned { name: "x".into(), shape: vec![2, 3], values: NpyValues::F32(x.to_vec()) });
        assert_eq!(back[1], NpyOwned { name: "names".into(), shape: vec![2], values: NpyValues::Str(names) });
    }
}
