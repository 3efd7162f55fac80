//! Wall-clock time, injected. The engine plans refreshes on wall-clock expiry, so tests need to
//! move it; nothing in this crate calls `SystemTime::now` except [`SystemClock`].

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use tokio::sync::Notify;

/// A future that ends at (or soon after) a wall-clock moment.
pub type Sleep<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> SystemTime;

    /// Wait until the wall clock reads `at`, or until the wall clock jumps (it was set, or the
    /// machine slept), whichever comes first: either way the caller re-reads `now` and plans
    /// again. This is what lets the engine plan on wall-clock expiry without polling.
    fn sleep_until(&self, at: SystemTime) -> Sleep<'_>;
}

/// The real clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // the one sanctioned read of the real clock
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }

    fn sleep_until(&self, at: SystemTime) -> Sleep<'_> {
        Box::pin(async move {
            #[cfg(target_os = "linux")]
            match realtime::sleep_until(at).await {
                Ok(()) => return,
                Err(e) => {
                    tracing::debug!("no realtime timer ({e}); napping on the monotonic clock")
                }
            }
            nap_until(self, at).await;
        })
    }
}

/// The portable fallback: sleep on tokio's monotonic clock in naps of at most a minute, so a
/// wall-clock jump (which a monotonic timer does not see) is noticed within a minute.
async fn nap_until(clock: &dyn Clock, at: SystemTime) {
    const LONGEST_NAP: Duration = Duration::from_secs(60);
    if let Ok(left) = at.duration_since(clock.now()) {
        tokio::time::sleep(left.min(LONGEST_NAP)).await;
    }
}

/// Linux: a `CLOCK_REALTIME` timerfd armed at an absolute time with `TFD_TIMER_CANCEL_ON_SET`.
/// It fires at the wall-clock moment even across suspend (the realtime clock keeps counting),
/// and a clock change wakes it at once with `ECANCELED`. Between the two: no wake-ups at all.
#[cfg(target_os = "linux")]
mod realtime {
    use std::io;
    use std::time::{SystemTime, UNIX_EPOCH};

    use rustix::io::Errno;
    use rustix::time::{
        timerfd_create, timerfd_settime, Itimerspec, TimerfdClockId, TimerfdFlags,
        TimerfdTimerFlags, Timespec,
    };
    use tokio::io::unix::AsyncFd;
    use tokio::io::Interest;

    pub async fn sleep_until(at: SystemTime) -> io::Result<()> {
        let since_epoch = at.duration_since(UNIX_EPOCH).unwrap_or_default();
        if since_epoch.is_zero() {
            return Ok(()); // an all-zero time would disarm the timer instead
        }
        let fd = timerfd_create(
            TimerfdClockId::Realtime,
            TimerfdFlags::NONBLOCK | TimerfdFlags::CLOEXEC,
        )?;
        let zero = Timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        let spec = Itimerspec {
            it_interval: zero,
            it_value: Timespec {
                tv_sec: i64::try_from(since_epoch.as_secs()).unwrap_or(i64::MAX),
                tv_nsec: since_epoch.subsec_nanos().into(),
            },
        };
        timerfd_settime(
            &fd,
            TimerfdTimerFlags::ABSTIME | TimerfdTimerFlags::CANCEL_ON_SET,
            &spec,
        )?;
        // Deprecated for types whose raw fd could change or close under the reactor; an OwnedFd
        // moved into the AsyncFd cannot, so the safe constructor is sound here (and the
        // workspace denies `unsafe`).
        #[allow(deprecated)]
        let fd = AsyncFd::with_interest(fd, Interest::READABLE)?;
        loop {
            let mut ready = fd.readable().await?;
            let mut expirations = [0u8; 8];
            match rustix::io::read(fd.get_ref(), &mut expirations) {
                // Expired, or the clock was set (a jump): both mean "look at the clock again".
                Ok(_) | Err(Errno::CANCELED) => return Ok(()),
                Err(Errno::AGAIN) => ready.clear_ready(),
                Err(e) => return Err(e.into()),
            }
        }
    }
}

/// A clock that only moves when told to: for tests. Sleepers wake when it is moved past their
/// time (or moved at all, as a real clock jump would wake them).
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<Mutex<SystemTime>>,
    moved: Arc<Notify>,
}

impl ManualClock {
    pub fn new(start: SystemTime) -> Self {
        Self {
            now: Arc::new(Mutex::new(start)),
            moved: Arc::new(Notify::new()),
        }
    }

    pub fn advance(&self, by: Duration) {
        *self.now.lock().unwrap_or_else(|p| p.into_inner()) += by;
        self.moved.notify_waiters();
    }

    pub fn set(&self, to: SystemTime) {
        *self.now.lock().unwrap_or_else(|p| p.into_inner()) = to;
        self.moved.notify_waiters();
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        *self.now.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn sleep_until(&self, at: SystemTime) -> Sleep<'_> {
        Box::pin(async move {
            // Registered before the check, so a move between the two is not missed.
            let moved = self.moved.notified();
            tokio::pin!(moved);
            moved.as_mut().enable();
            if self.now() < at {
                // Any move wakes the sleeper, which re-plans, as after a real clock jump.
                moved.await;
            }
        })
    }
}
