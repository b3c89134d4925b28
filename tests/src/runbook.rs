//! The commands of a Markdown runbook's `sh` blocks, split into simple commands the runbook test
//! can check one by one: continuation lines joined, `$(…)` substitutions replaced by a word
//! (their output is data, not a command the reader types), pipelines and `&&`/`;` lists split,
//! redirections dropped, leading `NAME=value` assignments kept apart.

use std::collections::BTreeMap;

/// One simple command: its environment assignments, program and arguments (quotes removed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimpleCommand {
    /// `NAME=value` words before the program.
    pub env: BTreeMap<String, String>,
    /// The program and its arguments.
    pub words: Vec<String>,
    /// The line as written in the runbook, for messages.
    pub line: String,
}

impl SimpleCommand {
    /// The program (first word).
    pub fn program(&self) -> &str {
        self.words.first().map_or("", String::as_str)
    }

    /// The arguments after the program.
    pub fn args(&self) -> &[String] {
        self.words.get(1..).unwrap_or_default()
    }
}

/// The word a `$(…)` substitution is replaced with.
pub const SUBSTITUTED: &str = "SUBSTITUTED";

/// Every simple command in the ```` ```sh ```` blocks of `markdown`, in order.
pub fn sh_commands(markdown: &str) -> Vec<SimpleCommand> {
    let mut commands = Vec::new();
    let mut in_sh = false;
    let mut pending = String::new();
    for line in markdown.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("```") {
            in_sh = !in_sh && trimmed == "```sh";
            continue;
        }
        if !in_sh || trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        match trimmed.strip_suffix('\\') {
            Some(start) => {
                pending.push_str(start);
                pending.push(' ');
            }
            None => {
                pending.push_str(trimmed);
                commands.extend(split_line(&pending));
                pending.clear();
            }
        }
    }
    commands
}

/// Splits one logical line into its simple commands.
fn split_line(line: &str) -> Vec<SimpleCommand> {
    let flat = replace_substitutions(line);
    let mut commands = Vec::new();
    for segment in split_unquoted(&flat) {
        let mut env = BTreeMap::new();
        let mut words = Vec::new();
        let mut tokens = tokenize(&segment).into_iter();
        while let Some(token) = tokens.next() {
            if token == ">" || token == ">>" || token == "2>" {
                tokens.next(); // the redirection's file
                continue;
            }
            if words.is_empty()
                && let Some((name, value)) = token.split_once('=')
                && !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit())
            {
                env.insert(name.to_owned(), value.to_owned());
                continue;
            }
            words.push(token);
        }
        if !words.is_empty() {
            commands.push(SimpleCommand {
                env,
                words,
                line: line.to_owned(),
            });
        }
    }
    commands
}

/// `$(…)` (nested too) replaced by [`SUBSTITUTED`].
fn replace_substitutions(line: &str) -> String {
    let mut out = String::new();
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek() == Some(&'(') {
            chars.next();
            let mut depth = 1;
            for inner in chars.by_ref() {
                match inner {
                    '(' => depth += 1,
                    ')' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
            }
            out.push_str(SUBSTITUTED);
        } else {
            out.push(c);
        }
    }
    out
}

/// Splits on `|`, `&&` and `;` outside quotes.
fn split_unquoted(line: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut quote = None;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), _) if c == q => {
                quote = None;
                current.push(c);
            }
            (Some(_), _) => current.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                current.push(c);
            }
            (None, '|' | ';') => parts.push(std::mem::take(&mut current)),
            (None, '&') if chars.peek() == Some(&'&') => {
                chars.next();
                parts.push(std::mem::take(&mut current));
            }
            _ => current.push(c),
        }
    }
    parts.push(current);
    parts.into_iter().filter(|p| !p.trim().is_empty()).collect()
}

/// Whitespace-separated words, quotes removed (no escapes inside them: a runbook needs none).
fn tokenize(segment: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut in_word = false;
    let mut quote = None;
    for c in segment.chars() {
        match (quote, c) {
            (Some(q), _) if c == q => quote = None,
            (Some(_), _) => current.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut current));
                    in_word = false;
                }
            }
            (None, c) => {
                current.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(current);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sh_blocks_are_read_and_continuations_are_joined() {
        let markdown =
            "text\n```sh\nkubectl apply \\\n  -k deploy/x\n# a comment\n```\n```text\nhelm install x\n```\n";
        let commands = sh_commands(markdown);
        assert_eq!(commands.len(), 1);
        assert_eq!(commands[0].words, ["kubectl", "apply", "-k", "deploy/x"]);
    }

    #[test]
    fn substitutions_become_one_word_and_pipelines_split() {
        let line = r#"A=1 B="$(kubectl get s -o jsonpath='{.x}' | base64 -d)" tool run --x "a b" > out.yaml | kubectl apply -f -"#;
        let commands = split_line(line);
        assert_eq!(commands.len(), 2, "{commands:?}");
        assert_eq!(commands[0].env.get("A").map(String::as_str), Some("1"));
        assert_eq!(commands[0].env.get("B").map(String::as_str), Some(SUBSTITUTED));
        assert_eq!(commands[0].words, ["tool", "run", "--x", "a b"]);
        assert_eq!(commands[1].words, ["kubectl", "apply", "-f", "-"]);
    }

    #[test]
    fn an_assignment_after_the_program_is_an_argument() {
        let commands = split_line("kubectl create secret generic s --from-literal=a=b");
        assert!(commands[0].env.is_empty());
        assert_eq!(
            commands[0].args().last().map(String::as_str),
            Some("--from-literal=a=b")
        );
    }
}
