//! The config loader over arbitrary bytes.

use crate::config::Config;

/// Input: the whole config file. Checks: `Config::parse_bytes` returns (no
/// panic, no hang); an error names the file and a line inside the text
/// (1-based: 0 is for unreadable files only), and renders; an accepted
/// config's `Debug` renders.
pub fn check_config(data: &[u8]) -> Result<(), String> {
    match Config::parse_bytes(data, "fuzz.yaml") {
        Ok(config) => {
            let _ = format!("{config:?}");
            Ok(())
        }
        Err(e) => {
            let lines = yaml_lines(data);
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

/// Lines as YAML counts them: `\n`, `\r\n` and a lone `\r` end a line.
fn yaml_lines(data: &[u8]) -> usize {
    let lone_cr = data
        .windows(2)
        .filter(|w| matches!(w, [b'\r', next] if *next != b'\n'))
        .count()
        + usize::from(data.last() == Some(&b'\r'));
    data.iter().filter(|b| **b == b'\n').count() + lone_cr + 1
}
