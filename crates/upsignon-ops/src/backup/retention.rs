//! Which scheduled backups to keep: everything from the last day, then the
//! newest of each day for `daily` days, the newest of each week for
//! `weekly` weeks, and nothing older than `max_age_days`. Pure, so it is
//! tested without files.

use std::collections::HashSet;

const DAY: i64 = 86_400;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    pub daily: u32,
    pub weekly: u32,
    pub max_age_days: u32,
}

/// Of backups taken at `times` (Unix seconds), the indices to delete at `now`.
pub fn to_delete(times: &[i64], now: i64, retention: Retention) -> Vec<usize> {
    let mut order: Vec<usize> = (0..times.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(times[i]));
    let mut kept_days = HashSet::new();
    let mut kept_weeks = HashSet::new();
    let mut delete = Vec::new();
    for i in order {
        let age = now - times[i];
        let day = times[i].div_euclid(DAY);
        let week = (times[i].div_euclid(DAY) + 3).div_euclid(7);
        let within_max = age <= i64::from(retention.max_age_days) * DAY;
        let recent = age <= DAY;
        let daily = age <= i64::from(retention.daily) * DAY && !kept_days.contains(&day);
        let weekly = age <= i64::from(retention.weekly) * 7 * DAY && !kept_weeks.contains(&week);
        let keep = within_max && (recent || daily || weekly);
        if keep {
            kept_days.insert(day);
            kept_weeks.insert(week);
        } else {
            delete.push(i);
        }
    }
    delete.sort_unstable();
    delete
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: Retention = Retention {
        daily: 7,
        weekly: 4,
        max_age_days: 31,
    };

    #[test]
    fn hourly_backups_thin_out_to_days_then_weeks_and_stop_at_a_month() {
        let now = 100 * DAY;
        let times: Vec<i64> = (0..24 * 40).map(|h| now - h * 3600).collect();
        let delete: HashSet<usize> = to_delete(&times, now, POLICY).into_iter().collect();
        let kept: Vec<i64> = (0..times.len())
            .filter(|i| !delete.contains(i))
            .map(|i| times[i])
            .collect();
        assert!(
            kept.iter().filter(|&&t| now - t <= DAY).count() >= 24,
            "the last day is whole"
        );
        assert!(
            kept.iter().all(|&t| now - t <= 31 * DAY),
            "nothing older than a month"
        );
        let older_than_a_week = kept.iter().filter(|&&t| now - t > 7 * DAY).count();
        assert!(
            (1..=4).contains(&older_than_a_week),
            "{older_than_a_week} weekly ones"
        );
        assert!(kept.len() < 24 + 7 + 5, "{} kept", kept.len());
    }

    #[test]
    fn a_single_recent_backup_is_kept() {
        assert!(to_delete(&[1_000], 2_000, POLICY).is_empty());
    }
}
