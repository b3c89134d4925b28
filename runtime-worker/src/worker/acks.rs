//! Group commit of acks: attempts that finish while an ack is being written wait together and
//! are written by the next ONE store call (one SQLite transaction and fsync, one Redis script),
//! instead of one call each. Nothing is delayed when the worker is idle: the first ack is
//! written at once; batching comes only from acks that arrive while a write is under way. An
//! attempt keeps its slot until its own ack is written, as with a single ack.

use hexaspin_config::os::system_now;
use hexaspin_core::job::JobId;
use hexaspin_core::ports::{JobQueue, StoreError};
use hexaspin_native::NativeJobs;
use tokio::sync::oneshot;

/// The most acks one store call carries.
const MAX_ACKS_PER_CALL: usize = 512;

struct PendingAck {
    id: JobId,
    result: String,
    answer: oneshot::Sender<Result<bool, StoreError>>,
}

/// Acks waiting for the next write, and the right to write.
#[derive(Default)]
pub(super) struct AckQueue {
    pending: std::sync::Mutex<Vec<PendingAck>>,
    writing: tokio::sync::Mutex<()>,
}

impl AckQueue {
    /// Records `id`'s success with `result`, together with whatever other acks are waiting;
    /// `false` if this worker no longer holds the job.
    pub(super) async fn ack(
        &self,
        jobs: &NativeJobs,
        worker: &str,
        id: &JobId,
        result: &str,
    ) -> Result<bool, StoreError> {
        let (answer, mut answered) = oneshot::channel();
        self.queue(PendingAck {
            id: id.clone(),
            result: result.to_owned(),
            answer,
        })?;
        // Whoever gets the right to write writes what is queued (oldest first); an ack the
        // previous writer took is answered by the time its owner gets the right. (tokio's mutex
        // is fair: waiters get it in turn.)
        loop {
            let _writing = self.writing.lock().await;
            if let Some(answer) = answer_of(&mut answered) {
                return answer;
            }
            write(jobs, worker, self.take()?).await;
            if let Some(answer) = answer_of(&mut answered) {
                return answer;
            }
            // More than one call's worth was queued ahead of this ack: write again.
        }
    }

    fn queue(&self, ack: PendingAck) -> Result<(), StoreError> {
        self.pending
            .lock()
            .map_err(|_| StoreError::Failed("the ack queue is poisoned".into()))?
            .push(ack);
        Ok(())
    }

    /// The oldest acks waiting, at most one call's worth.
    fn take(&self) -> Result<Vec<PendingAck>, StoreError> {
        let mut pending = self
            .pending
            .lock()
            .map_err(|_| StoreError::Failed("the ack queue is poisoned".into()))?;
        let count = pending.len().min(MAX_ACKS_PER_CALL);
        Ok(pending.drain(..count).collect())
    }
}

/// The answer, if it has come.
fn answer_of(answered: &mut oneshot::Receiver<Result<bool, StoreError>>) -> Option<Result<bool, StoreError>> {
    match answered.try_recv() {
        Ok(answer) => Some(answer),
        Err(oneshot::error::TryRecvError::Empty) => None,
        Err(oneshot::error::TryRecvError::Closed) => {
            Some(Err(StoreError::Failed("the ack was dropped unwritten".into())))
        }
    }
}

/// Writes one batch and answers each of its acks.
async fn write(jobs: &NativeJobs, worker: &str, batch: Vec<PendingAck>) {
    if batch.is_empty() {
        return;
    }
    let done: Vec<(JobId, String)> = batch.iter().map(|a| (a.id.clone(), a.result.clone())).collect();
    let written = jobs.ack_many(worker, &done, system_now()).await;
    for (index, ack) in batch.into_iter().enumerate() {
        let answer = match &written {
            Ok(held) => Ok(held.get(index).copied().unwrap_or(false)),
            Err(error) => Err(error.clone()),
        };
        // The waiter may have gone (its task aborted at shutdown): nothing to tell.
        let _ = ack.answer.send(answer);
    }
}
