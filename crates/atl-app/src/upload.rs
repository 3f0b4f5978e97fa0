//! Reading an upload from disk with the size limit enforced while reading.

use crate::AppError;
use atl_import::ImportError;
use std::io::Read;
use std::path::Path;

/// Reads at most `max_bytes` from `path`; a larger file is refused before more than
/// `max_bytes + 1` bytes are held in memory (the metadata size is checked first, but a
/// growing file or a pipe could lie, so the read itself is bounded too).
pub fn read_upload_file(path: &Path, max_bytes: u64) -> Result<Vec<u8>, AppError> {
    let read_err = |e: std::io::Error| AppError::Read {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    let file = std::fs::File::open(path).map_err(read_err)?;
    let declared = file.metadata().map_err(read_err)?.len();
    if declared > max_bytes {
        return Err(ImportError::TooLarge {
            limit_bytes: max_bytes,
        }
        .into());
    }
    let mut bytes = Vec::with_capacity(declared as usize);
    file.take(max_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(read_err)?;
    if bytes.len() as u64 > max_bytes {
        return Err(ImportError::TooLarge {
            limit_bytes: max_bytes,
        }
        .into());
    }
    Ok(bytes)
}
