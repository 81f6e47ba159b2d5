//! The config loader over arbitrary bytes.

use crate::config::Config;

/// Input: the whole config file. Checks: `Config::parse_bytes` returns (no
/// panic, no hang); an error names a line inside the text (1-based:
/// 0 is for unreadable files only) and the file, and renders; an accepted config's `Debug` renders.
pub fn check_config(data: &[u8]) -> Result<(), String> {
    match Config::parse_bytes(data, "fuzz.yaml") {
        Ok(config) => {
            let _ = format!("{config:?}");
            Ok(())
        }
        Err(e) => {
            let lines = data.split(|b| *b == b'\n').count();
            let rendered = e.to_string();
            if e.line == 0 || e.line as usize > lines {
                return Err(format!(
                    "error names line {} of a {lines}-line text: {rendered}",
                    e.line
                ));
            }
            if !rendered.starts_with("fuzz.yaml") {
                return Err(format!("error does not name the file: {rendered}"));
            }
            Ok(())
        }
    }
}
