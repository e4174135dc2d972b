//! Every batch between the accumulator and its reported result: listed (so close can find
//! what is left when its time runs out) and queued for a worker.

use std::collections::HashMap;
use std::sync::Arc;

use crate::producer::batch::Batch;
use crate::producer::queue::Queue;
use crate::producer::sync::{lock, Mutex};

#[derive(Default)]
struct Listed {
    next_id: u64,
    batches: HashMap<u64, Arc<Batch>>,
}

pub(crate) struct Outbox {
    listed: Mutex<Listed>,
    pub queue: Queue<(u64, Arc<Batch>)>,
}

impl Outbox {
    pub fn new() -> Self {
        Outbox {
            listed: Mutex::new(Listed::default()),
            queue: Queue::new(),
        }
    }

    /// Lists a batch and queues it. Callers hold the intake's lock with the producer running
    /// (see `intake.rs`), and the queue closes only under that lock once the producer stops
    /// running, so the queue is open here.
    pub fn post(&self, batch: Batch) {
        let batch = Arc::new(batch);
        let id = {
            let mut l = lock(&self.listed);
            let id = l.next_id;
            l.next_id += 1;
            l.batches.insert(id, batch.clone());
            id
        };
        if self.queue.push((id, batch)).is_err() {
            unreachable!("a batch was posted after the outbox closed");
        }
    }

    /// Takes a reported batch off the list: the last step of its report, so a batch missing
    /// from the list is one whose report is complete.
    pub fn forget(&self, id: u64) {
        lock(&self.listed).batches.remove(&id);
    }

    /// The batches not yet reported.
    pub fn unreported(&self) -> Vec<(u64, Arc<Batch>)> {
        lock(&self.listed)
            .batches
            .iter()
            .map(|(id, b)| (*id, b.clone()))
            .collect()
    }
}
