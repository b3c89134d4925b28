//! The counting rules of the job lifecycle counters, stated once: which move of a job adds one to
//! which counter. The stores apply them in the same atomic step that moves the job (the Redis
//! scripts get their table from [`counted_states`]; the SQLite triggers of migration 0003 spell
//! them out), and one contract test holds every store to [`outcome_of`].

use super::{Counter, Series};
use crate::job::{JobKind, JobState};

/// A change of a job's state, as the counting rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobMove {
    /// A new job was stored (dispatch, the periodic enqueuer).
    Stored,
    /// The job went from one state to another.
    Changed {
        /// The state it left.
        from: JobState,
        /// The state it entered.
        to: JobState,
        /// Whether the attempt that ended stays counted (a rescued lease: yes; a worker handing
        /// a job back at shutdown: no).
        attempt_kept: bool,
    },
}

/// The counter a move adds one to, with the extra label after the kind, if it is counted at all.
///
/// Counted: storing a job; an attempt that succeeded, failed for good (`failed`, or `dead` when
/// the attempts ran out), will be tried again (`retrying`, or back to `queued` by the rescuer with
/// the attempt kept); a cancellation. Not counted: promotion, claim, a worker handing a job back
/// (the attempt given back), an admin retrying a dead job.
pub fn outcome_of(change: JobMove) -> Option<(Counter, Option<&'static str>)> {
    let (from, to, attempt_kept) = match change {
        JobMove::Stored => return Some((Counter::JobsEnqueued, None)),
        JobMove::Changed {
            from,
            to,
            attempt_kept,
        } => (from, to, attempt_kept),
    };
    if from == to {
        return None;
    }
    match to {
        JobState::Succeeded => Some((Counter::JobsSucceeded, None)),
        JobState::Retrying => Some((Counter::JobsRetried, None)),
        JobState::Failed => Some((Counter::JobsFailed, Some("failed"))),
        JobState::Dead => Some((Counter::JobsFailed, Some("dead"))),
        JobState::Cancelled => Some((Counter::JobsCancelled, None)),
        JobState::Queued if from == JobState::Running && attempt_kept => Some((Counter::JobsRetried, None)),
        JobState::Queued | JobState::Scheduled | JobState::Running => None,
    }
}

/// The series a counted move of a job of `kind` adds one to.
pub fn outcome_series(change: JobMove, kind: &JobKind) -> Option<Series> {
    let (counter, extra) = outcome_of(change)?;
    let mut labels = vec![kind.as_str().to_owned()];
    labels.extend(extra.map(str::to_owned));
    Series::new(counter, labels).ok()
}

/// The states whose entry is counted whatever the state before (the table the Redis scripts
/// count by), with the counter's storage name.
pub fn counted_states() -> Vec<(JobState, &'static str)> {
    JobState::ALL
        .into_iter()
        .filter_map(|to| {
            let always = JobState::ALL.into_iter().filter(|from| *from != to).all(|from| {
                let change = JobMove::Changed {
                    from,
                    to,
                    attempt_kept: false,
                };
                outcome_of(change).is_some()
            });
            let (counter, _) = outcome_of(JobMove::Changed {
                from: JobState::Running,
                to,
                attempt_kept: false,
            })?;
            always.then_some((to, counter.storage_name()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_moves_that_end_an_attempt_or_a_job_count_and_the_others_do_not() {
        let change = |from, to, attempt_kept| {
            outcome_of(JobMove::Changed {
                from,
                to,
                attempt_kept,
            })
        };
        use JobState::*;
        assert_eq!(outcome_of(JobMove::Stored), Some((Counter::JobsEnqueued, None)));
        assert_eq!(
            change(Running, Succeeded, true),
            Some((Counter::JobsSucceeded, None))
        );
        assert_eq!(
            change(Running, Dead, true),
            Some((Counter::JobsFailed, Some("dead")))
        );
        assert_eq!(
            change(Running, Queued, true),
            Some((Counter::JobsRetried, None)),
            "rescued"
        );
        assert_eq!(change(Running, Queued, false), None, "handed back at shutdown");
        assert_eq!(change(Dead, Queued, false), None, "an admin retry");
        assert_eq!(change(Scheduled, Queued, false), None, "promotion");
        assert_eq!(change(Queued, Running, false), None, "claim");
        assert_eq!(
            change(Queued, Cancelled, false),
            Some((Counter::JobsCancelled, None))
        );
        assert_eq!(change(Succeeded, Succeeded, true), None, "no move, no count");
    }

    #[test]
    fn the_redis_table_lists_the_states_counted_on_entry() {
        assert_eq!(
            counted_states(),
            [
                (JobState::Succeeded, "jobs_succeeded"),
                (JobState::Failed, "jobs_failed"),
                (JobState::Retrying, "jobs_retried"),
                (JobState::Dead, "jobs_failed"),
                (JobState::Cancelled, "jobs_cancelled"),
            ]
        );
    }
}
