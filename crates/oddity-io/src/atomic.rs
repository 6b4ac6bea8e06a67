//! Atomic output: write to a temporary file beside the target, then rename it into place.

use std::path::Path;

use tempfile::NamedTempFile;

/// A temporary file in the directory of `path`, named `.oddity-*.tmp`, with the permissions
/// `File::create` would give (0666 narrowed by the umask) rather than tempfile's 0600, since
/// they survive the final rename. Persist it to `path` when complete.
pub fn temp_file_beside(path: &Path) -> std::io::Result<NamedTempFile> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut builder = tempfile::Builder::new();
    builder.prefix(".oddity-").suffix(".tmp");
    #[cfg(unix)]
    builder.permissions(<std::fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(0o666));
    builder.tempfile_in(dir)
}
