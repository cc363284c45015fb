//! Opens a record's value in the person's editor (`$VISUAL`, else `$EDITOR`, else `vi`): a
//! private file (0600: payloads are often personal data) that is removed afterwards.

use std::io::Write as _;

/// The editor command: `$VISUAL`, else `$EDITOR`, else `vi`.
#[must_use]
pub fn command() -> String {
    ["VISUAL", "EDITOR"]
        .iter()
        .find_map(|name| {
            std::env::var(name)
                .ok()
                .filter(|value| !value.trim().is_empty())
        })
        .unwrap_or_else(|| "vi".to_owned())
}

/// Lets the person edit `text` (named with `extension`) and returns what they saved.
///
/// # Errors
/// When the file cannot be written or read, or the editor cannot be run or fails.
pub fn edit(text: &str, extension: &str) -> anyhow::Result<String> {
    let dir = std::env::temp_dir();
    let path = dir.join(format!(
        "kmp-edit-{}.{extension}",
        uuid::Uuid::new_v4().simple()
    ));
    let mut file = crate::private_file::options()
        .write(true)
        .create_new(true)
        .open(&path)?;
    file.write_all(text.as_bytes())?;
    drop(file);
    let result = run(&command(), &path);
    let saved = result.and_then(|()| Ok(std::fs::read_to_string(&path)?));
    let _ = std::fs::remove_file(&path);
    saved
}

/// Runs `editor` (a command line: `code --wait` works) on `path` through the shell.
fn run(editor: &str, path: &std::path::Path) -> anyhow::Result<()> {
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("sh")
        .arg(path)
        .status()
        .map_err(|error| anyhow::anyhow!("cannot run the editor {editor:?}: {error}"))?;
    anyhow::ensure!(status.success(), "the editor {editor:?} failed ({status})");
    Ok(())
}
