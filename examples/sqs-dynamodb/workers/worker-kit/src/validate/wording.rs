//! How the contract's rules are worded in messages, as the orchestrator words
//! them (Go's `strconv.Quote` for map keys), so both sides' errors read alike.

/// Words a lower bound of `n`: "must not be empty" for 1, else "must `verb`
/// `n` `many`".
pub(super) fn at_least(n: usize, verb: &str, one: &str, many: &str) -> String {
    if n == 1 {
        "must not be empty".to_owned()
    } else {
        format!("must {verb} {}", count(n, one, many))
    }
}

/// `n` with its unit, singular for 1.
pub(super) fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// How much of a map key a message quotes: the key is there because it broke
/// a rule, perhaps by being megabytes long.
const MAX_KEY_CHARS: usize = 40;

/// Quotes a map key as Go's `strconv.Quote` does (the orchestrator's
/// messages), so control and invisible characters are escaped, cut after
/// [`MAX_KEY_CHARS`] characters with `...`.
pub fn quote_key(key: &str) -> String {
    let mut out = String::from('"');
    for c in key.chars().take(MAX_KEY_CHARS) {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if invisible(c) => {
                if (c as u32) < 0x10000 {
                    out.push_str(&format!("\\u{:04x}", c as u32));
                } else {
                    out.push_str(&format!("\\U{:08x}", c as u32));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    if key.chars().nth(MAX_KEY_CHARS).is_some() {
        out.push_str("...");
    }
    out
}

/// Characters Go does not print as themselves: controls, spaces other than
/// U+0020, and the common invisible format characters (std has no Unicode
/// category table for the rest).
fn invisible(c: char) -> bool {
    c.is_control()
        || (c.is_whitespace() && c != ' ')
        || matches!(c, '\u{ad}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}' | '\u{feff}')
}
