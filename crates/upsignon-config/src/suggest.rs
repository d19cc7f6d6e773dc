//! Mistakes a sysadmin makes in a config file, caught with a suggestion:
//! an unknown key gets the closest known one, and a `log_level` whose
//! words are not levels (a typo there silently filtered out every log line,
//! errors included) is refused.

/// The known key closest to `unknown` (at most a third of its letters
/// changed), to offer as "did you mean".
pub fn closest_key<'a>(unknown: &str, known: &[&'a str]) -> Option<&'a str> {
    let limit = (unknown.chars().count() / 3).max(1);
    known
        .iter()
        .map(|k| (edit_distance(unknown, k), *k))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            current.push(
                (previous[j] + cost)
                    .min(previous[j + 1] + 1)
                    .min(current[j] + 1),
            );
        }
        previous = current;
    }
    previous[b.len()]
}

const LEVELS: [&str; 6] = ["trace", "debug", "info", "warn", "error", "off"];

/// What is wrong with a `log_level` filter, if anything: every directive is
/// a level (`info`) or `target=level` (`upsignon=debug`).
pub fn log_level_problem(filter: &str) -> Option<String> {
    if filter.trim().is_empty() {
        return Some("it is empty".to_string());
    }
    for directive in filter.split(',').map(str::trim) {
        let level = directive.rsplit_once('=').map_or(directive, |(_, l)| l);
        if !LEVELS.contains(&level.to_ascii_lowercase().as_str()) {
            let hint = closest_key(&level.to_ascii_lowercase(), &LEVELS)
                .map(|l| format!(" (did you mean {l:?}?)"))
                .unwrap_or_default();
            return Some(format!("{level:?} is not a level{hint}"));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typo_gets_the_closest_key_and_nonsense_gets_none() {
        let known = ["log_level", "listen", "database_url", "backup_dir"];
        assert_eq!(closest_key("log_levl", &known), Some("log_level"));
        assert_eq!(closest_key("databse_url", &known), Some("database_url"));
        assert_eq!(closest_key("colour", &known), None);
    }

    #[test]
    fn log_levels_are_levels_or_target_equals_level() {
        for good in [
            "info",
            "INFO",
            "upsignon=debug,info",
            "warn, actix_web=error",
            "off",
        ] {
            assert_eq!(log_level_problem(good), None, "{good}");
        }
        assert_eq!(
            log_level_problem("inf").as_deref(),
            Some("\"inf\" is not a level (did you mean \"info\"?)")
        );
        assert!(log_level_problem("upsignon=verbose").is_some());
        assert!(log_level_problem("").is_some());
    }
}
