//! Latest-wins delivery to one viewer: the producer never waits, the viewer gets the
//! newest frame, and every frame replaced before it was taken is counted as dropped.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

struct Shared<T> {
    latest: Mutex<Option<T>>,
    notify: Notify,
    closed: AtomicBool,
    n_dropped: AtomicU64,
}

/// The producer's side of a viewer's slot.
pub struct SlotSender<T> {
    shared: Arc<Shared<T>>,
}

/// The viewer's side of its slot.
pub struct SlotReceiver<T> {
    shared: Arc<Shared<T>>,
}

/// A new empty slot.
pub fn slot<T>() -> (SlotSender<T>, SlotReceiver<T>) {
    let shared = Arc::new(Shared {
        latest: Mutex::new(None),
        notify: Notify::new(),
        closed: AtomicBool::new(false),
        n_dropped: AtomicU64::new(0),
    });
    (SlotSender { shared: shared.clone() }, SlotReceiver { shared })
}

impl<T> SlotSender<T> {
    /// Puts a frame in the slot, replacing one the viewer has not taken yet.
    /// Returns true when a frame was replaced (the viewer skipped it).
    pub fn put(&self, value: T) -> bool {
        let replaced = {
            let mut latest = self.shared.latest.lock().expect("slot lock is never poisoned");
            latest.replace(value).is_some()
        };
        if replaced {
            self.shared.n_dropped.fetch_add(1, Ordering::Relaxed);
        }
        self.shared.notify.notify_one();
        replaced
    }

    /// Takes back a frame the viewer has not taken yet (it must not see it any more).
    pub fn clear(&self) {
        self.shared.latest.lock().expect("slot lock is never poisoned").take();
    }

    /// Frames replaced before the viewer took them, since the slot was made.
    pub fn n_dropped(&self) -> u64 {
        self.shared.n_dropped.load(Ordering::Relaxed)
    }
}

impl<T> Drop for SlotSender<T> {
    fn drop(&mut self) {
        self.shared.closed.store(true, Ordering::Release);
        self.shared.notify.notify_one();
    }
}

impl<T> SlotReceiver<T> {
    /// Waits for the next frame; `None` once the sender is gone and the slot is empty.
    pub async fn take(&mut self) -> Option<T> {
        loop {
            if let Some(value) =
                self.shared.latest.lock().expect("slot lock is never poisoned").take()
            {
                return Some(value);
            }
            if self.shared.closed.load(Ordering::Acquire) {
                return None;
            }
            self.shared.notify.notified().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_slow_viewer_gets_the_newest_frame_and_the_skips_are_counted() {
        let (tx, mut rx) = slot();
        assert!(!tx.put(1));
        assert!(tx.put(2));
        assert!(tx.put(3));
        assert_eq!(rx.take().await, Some(3));
        assert_eq!(tx.n_dropped(), 2);
        tx.put(4);
        assert_eq!(rx.take().await, Some(4));
        assert_eq!(tx.n_dropped(), 2);
    }

    #[tokio::test]
    async fn a_cleared_slot_hands_out_only_what_comes_after() {
        let (tx, mut rx) = slot();
        tx.put(1);
        tx.clear();
        tx.put(2);
        assert_eq!(rx.take().await, Some(2));
        tx.put(3);
        tx.clear();
        drop(tx);
        assert_eq!(rx.take().await, None);
    }

    #[tokio::test]
    async fn the_receiver_wakes_for_a_later_frame_and_ends_when_the_sender_goes() {
        let (tx, mut rx) = slot::<u32>();
        let waiter = tokio::spawn(async move {
            let first = rx.take().await;
            let second = rx.take().await;
            (first, second)
        });
        tokio::task::yield_now().await;
        tx.put(7);
        // The receiver must have taken 7 before the sender goes, or 7 would be read after drop
        // (also correct: a closed slot still hands out what it holds).
        drop(tx);
        assert_eq!(waiter.await.unwrap(), (Some(7), None));
    }
}
