//! Files that hold record contents (the journal, a plan, the audit log): a DLQ's payloads are
//! often personal data, so they are created readable and writable by their owner only (0600),
//! whatever the umask. A file that exists already keeps the mode its owner gave it.

use std::fs::OpenOptions;

/// Options that create a file with mode 0600 (on Unix; elsewhere the platform's default).
#[must_use]
pub fn options() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

#[cfg(all(test, unix))]
pub(crate) mod tests {
    use std::os::unix::fs::PermissionsExt;

    /// The permission bits of `path` (0 when it cannot be read).
    pub(crate) fn mode_of(path: &std::path::Path) -> u32 {
        std::fs::metadata(path).map_or(0, |m| m.permissions().mode() & 0o777)
    }

    /// Even under a umask that lets others read (022, the usual one).
    #[test]
    fn a_new_file_is_its_owners_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        super::options()
            .create(true)
            .append(true)
            .open(&path)
            .unwrap();
        assert_eq!(mode_of(&path), 0o600);
    }
}
