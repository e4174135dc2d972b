//! A closable FIFO between the producer's threads: batches on their way to the workers, and
//! results on their way to the callbacks.
//!
//! What close relies on: once the queue is closed nothing more enters it, and it counts what
//! has been taken out and not yet handled (a [`Taken`] guard), so "closed, empty and nothing
//! in anyone's hands" is a state one can wait for — the moment every item ever pushed has
//! been dealt with. A taken item whose handler unwinds still counts as handled (the guard's
//! drop), so a panic cannot make close wait forever.

use std::collections::VecDeque;
use std::time::Instant;

use crate::producer::sync::{lock, wait_until, Condvar, Mutex, MutexGuard};

pub(crate) struct Queue<T> {
    state: Mutex<State<T>>,
    /// Items arrived, or the queue became closed and idle: poppers look again.
    ready: Condvar,
    /// The queue became closed and idle.
    idle: Condvar,
}

struct State<T> {
    items: VecDeque<T>,
    closed: bool,
    in_hand: usize,
}

impl<T> State<T> {
    fn finished(&self) -> bool {
        self.closed && self.items.is_empty() && self.in_hand == 0
    }
}

/// What a pop found.
pub(crate) enum Pop<'a, T> {
    Item(Taken<'a, T>),
    /// Nothing came before the deadline.
    Empty,
    /// Closed, and everything pushed has been handled.
    Finished,
}

/// An item taken from the queue; dropping the guard marks it handled.
pub(crate) struct Taken<'a, T> {
    queue: &'a Queue<T>,
    item: Option<T>,
}

impl<T> Taken<'_, T> {
    pub fn get_mut(&mut self) -> &mut T {
        self.item.as_mut().expect("present until the guard drops")
    }

    /// Puts the item back at the front (partly handled: the rest is someone else's to do).
    pub fn put_back(mut self) {
        let item = self.item.take().expect("present until the guard drops");
        lock(&self.queue.state).items.push_front(item);
        self.queue.ready.notify_one();
    }
}

impl<T> std::ops::Deref for Taken<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.item.as_ref().expect("present until the guard drops")
    }
}

impl<T> Drop for Taken<'_, T> {
    fn drop(&mut self) {
        let mut s = lock(&self.queue.state);
        s.in_hand -= 1;
        if s.finished() {
            drop(s);
            self.queue.ready.notify_all();
            self.queue.idle.notify_all();
        }
    }
}

impl<T> Queue<T> {
    pub fn new() -> Self {
        Queue {
            state: Mutex::new(State {
                items: VecDeque::new(),
                closed: false,
                in_hand: 0,
            }),
            ready: Condvar::new(),
            idle: Condvar::new(),
        }
    }

    /// Appends `item`; a closed queue gives it back.
    pub fn push(&self, item: T) -> Result<(), T> {
        let mut s = lock(&self.state);
        if s.closed {
            return Err(item);
        }
        s.items.push_back(item);
        drop(s);
        self.ready.notify_one();
        Ok(())
    }

    fn take<'a>(&'a self, s: &mut MutexGuard<'_, State<T>>) -> Option<Taken<'a, T>> {
        let item = s.items.pop_front()?;
        s.in_hand += 1;
        Some(Taken {
            queue: self,
            item: Some(item),
        })
    }

    /// Waits for an item; `None` once the queue is closed and everything has been handled.
    pub fn pop(&self) -> Option<Taken<'_, T>> {
        let mut s = lock(&self.state);
        loop {
            if let Some(t) = self.take(&mut s) {
                return Some(t);
            }
            if s.finished() {
                return None;
            }
            s = self.ready.wait(s).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// As [`Queue::pop`], waiting at most until `deadline`.
    pub fn pop_until(&self, deadline: Instant) -> Pop<'_, T> {
        let mut s = lock(&self.state);
        loop {
            if let Some(t) = self.take(&mut s) {
                return Pop::Item(t);
            }
            if s.finished() {
                return Pop::Finished;
            }
            let (g, timed_out) = wait_until(&self.ready, s, deadline);
            s = g;
            if timed_out {
                return match self.take(&mut s) {
                    Some(t) => Pop::Item(t),
                    None if s.finished() => Pop::Finished,
                    None => Pop::Empty,
                };
            }
        }
    }

    /// Takes an item if one is there, without waiting.
    pub fn try_pop(&self) -> Pop<'_, T> {
        let mut s = lock(&self.state);
        match self.take(&mut s) {
            Some(t) => Pop::Item(t),
            None if s.finished() => Pop::Finished,
            None => Pop::Empty,
        }
    }

    /// Refuses every later push; poppers drain what is there.
    pub fn close(&self) {
        lock(&self.state).closed = true;
        self.ready.notify_all();
        self.idle.notify_all();
    }

    /// Waits until the queue is closed, empty and nothing taken is still being handled, or
    /// until `deadline` (`None`: no limit). True if that state was reached.
    pub fn wait_finished(&self, deadline: Option<Instant>) -> bool {
        let mut s = lock(&self.state);
        while !s.finished() {
            match deadline {
                None => s = self.idle.wait(s).unwrap_or_else(|p| p.into_inner()),
                Some(d) => {
                    let (g, timed_out) = wait_until(&self.idle, s, d);
                    s = g;
                    if timed_out {
                        return s.finished();
                    }
                }
            }
        }
        true
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn closed_queues_refuse_pushes_and_finish_once_drained_and_handled() {
        let q = Arc::new(Queue::new());
        q.push(1).unwrap();
        q.push(2).unwrap();
        q.close();
        assert_eq!(q.push(3), Err(3));
        let first = q.pop().unwrap();
        assert_eq!(*first, 1);
        assert!(
            !q.wait_finished(Some(Instant::now())),
            "2 is queued, 1 in hand"
        );
        let second = q.pop().unwrap();
        drop(first);
        assert!(!q.wait_finished(Some(Instant::now())), "2 is still in hand");
        let q2 = q.clone();
        let waiter = std::thread::spawn(move || q2.wait_finished(None));
        drop(second);
        assert!(waiter.join().unwrap());
        assert!(q.pop().is_none());
        assert!(matches!(q.try_pop(), Pop::Finished));
    }

    #[test]
    fn an_item_put_back_is_next_and_keeps_a_closed_queue_busy() {
        let q = Queue::new();
        q.push("a").unwrap();
        q.push("b").unwrap();
        q.close();
        let a = q.pop().unwrap();
        a.put_back();
        assert_eq!(*q.pop().unwrap(), "a");
        assert_eq!(*q.pop().unwrap(), "b");
        assert!(matches!(
            q.pop_until(Instant::now() + Duration::from_millis(1)),
            Pop::Finished
        ));
    }

    #[test]
    fn pop_until_times_out_on_an_open_empty_queue() {
        let q: Queue<u8> = Queue::new();
        assert!(matches!(
            q.pop_until(Instant::now() + Duration::from_millis(5)),
            Pop::Empty
        ));
    }
}
