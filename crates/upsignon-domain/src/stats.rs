//! Password-strength history: apps report counts per vault from time to
//! time; a tenant's figure on a day is the sum, over its vaults, of each
//! vault's latest report up to the end of that day.

pub const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// Counts of one report (or a sum of them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StrengthCounts {
    pub accounts: i64,
    pub strong: i64,
    pub medium: i64,
    pub weak: i64,
    pub duplicated: i64,
}

impl StrengthCounts {
    fn add(&mut self, other: &StrengthCounts) {
        self.accounts += other.accounts;
        self.strong += other.strong;
        self.medium += other.medium;
        self.weak += other.weak;
        self.duplicated += other.duplicated;
    }
}

/// One report of one vault (`owner`: a user or a shared vault).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub owner: String,
    pub at_ms: i64,
    pub counts: StrengthCounts,
}

/// The tenant's totals at the end of each of `days` days, the last one
/// being the day of `today_ms`. `reports` must be oldest first.
pub fn daily_totals(reports: &[Report], today_ms: i64, days: usize) -> Vec<(i64, StrengthCounts)> {
    let first_day = today_ms.div_euclid(DAY_MS) - days as i64 + 1;
    let mut latest: std::collections::BTreeMap<&str, StrengthCounts> = Default::default();
    let mut next = reports.iter().peekable();
    (0..days as i64)
        .map(|i| {
            let day_start = (first_day + i) * DAY_MS;
            while let Some(report) = next.next_if(|r| r.at_ms < day_start + DAY_MS) {
                latest.insert(report.owner.as_str(), report.counts);
            }
            let mut total = StrengthCounts::default();
            latest.values().for_each(|c| total.add(c));
            (day_start, total)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(owner: &str, day: i64, weak: i64) -> Report {
        Report {
            owner: owner.to_string(),
            at_ms: day * DAY_MS + 1000,
            counts: StrengthCounts {
                weak,
                ..Default::default()
            },
        }
    }

    #[test]
    fn each_day_sums_the_latest_report_of_every_vault() {
        let reports = [report("a", 10, 5), report("b", 11, 2), report("a", 12, 1)];
        let totals = daily_totals(&reports, 13 * DAY_MS, 5);
        let weak: Vec<i64> = totals.iter().map(|(_, c)| c.weak).collect();
        assert_eq!(weak, vec![0, 5, 7, 3, 3]);
        assert_eq!(totals[0].0, 9 * DAY_MS);
    }
}
