//! The engine's background component: a task with a handle and a command channel (the shape of
//! atuin's sync component). The tray app and `rolekeeper daemon` both run exactly this.
//!
//! Today it reloads the profile files on request and reports what it found; the refresh schedule
//! of active sessions grows here.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinHandle;

use crate::engine::Engine;

/// Requests to the running engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Re-read the files and refresh every active session now.
    RefreshAll,
    /// Stop the loop.
    Stop,
}

/// What the engine reports. Closed: every consumer handles every variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The profile files were read; `profiles` is how many profiles they define.
    Reloaded { profiles: usize },
    /// A profile file could not be used; the message says which, where, and what to do.
    Problem { message: String },
    /// The loop has stopped.
    Stopped,
}

/// A running engine. Dropping the handle closes the channel, which also stops the loop.
#[derive(Debug)]
pub struct EngineHandle {
    commands: mpsc::Sender<Command>,
    events: broadcast::Sender<Event>,
    task: Option<JoinHandle<()>>,
}

impl EngineHandle {
    /// Start the loop on the current tokio runtime.
    pub fn spawn(engine: Arc<Engine>) -> Self {
        let (commands, rx) = mpsc::channel(16);
        let (events, _) = broadcast::channel(64);
        let task = tokio::spawn(run(engine, rx, events.clone()));
        Self {
            commands,
            events,
            task: Some(task),
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    /// Ask for a refresh of everything; returns at once.
    pub fn refresh_all(&self) {
        // A full queue already holds a refresh request; dropping this one loses nothing.
        let _ = self.commands.try_send(Command::RefreshAll);
    }

    /// Stop the loop and wait for it, at most a few seconds.
    pub async fn stop(mut self) {
        let _ = self.commands.send(Command::Stop).await;
        if let Some(task) = self.task.take() {
            if tokio::time::timeout(Duration::from_secs(5), task)
                .await
                .is_err()
            {
                tracing::warn!("engine loop did not stop within 5 s");
            }
        }
    }
}

async fn run(
    engine: Arc<Engine>,
    mut commands: mpsc::Receiver<Command>,
    events: broadcast::Sender<Event>,
) {
    reload(&engine, &events);
    while let Some(command) = commands.recv().await {
        match command {
            Command::RefreshAll => reload(&engine, &events),
            Command::Stop => break,
        }
    }
    let _ = events.send(Event::Stopped);
}

fn reload(engine: &Engine, events: &broadcast::Sender<Event>) {
    let event = match engine.load_profiles() {
        Ok(set) => Event::Reloaded {
            profiles: set.names().count(),
        },
        Err(e) => Event::Problem {
            message: e.to_string(),
        },
    };
    tracing::info!(?event, "engine");
    // No subscriber is fine: the daemon may log only.
    let _ = events.send(event);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::env::{MapEnv, MemFs};

    #[tokio::test]
    async fn reports_reloads_and_problems_and_stops() {
        let env = MapEnv::default().with("HOME", "/h");
        let fs = MemFs::default().with("/h/.aws/config", "[profile a]\nregion = x\n[profile b]\n");
        let engine = Engine::new(
            Arc::new(env.clone()),
            Arc::new(fs),
            Arc::new(ManualClock::new(std::time::UNIX_EPOCH)),
        );
        let handle = EngineHandle::spawn(Arc::new(engine));
        let mut events = handle.subscribe();
        handle.refresh_all();
        assert_eq!(
            events.recv().await.expect("event"),
            Event::Reloaded { profiles: 2 }
        );
        handle.stop().await;
        // The load at start may or may not have reached this subscriber; then comes the stop.
        loop {
            match events.recv().await.expect("event") {
                Event::Stopped => break,
                other => assert_eq!(other, Event::Reloaded { profiles: 2 }),
            }
        }

        let fs = MemFs::default().with("/h/.aws/config", "[profile a\n");
        let engine = Engine::new(
            Arc::new(env),
            Arc::new(fs),
            Arc::new(ManualClock::new(std::time::UNIX_EPOCH)),
        );
        let handle = EngineHandle::spawn(Arc::new(engine));
        let mut events = handle.subscribe();
        match events.recv().await.expect("event") {
            Event::Problem { message } => {
                assert!(message.contains("/h/.aws/config, line 1"), "{message}")
            }
            other => panic!("expected a problem, got {other:?}"),
        }
        handle.stop().await;
    }
}
