//! The engine's background component: a task with a handle and a command channel (the shape of
//! atuin's sync component). The tray app and `rolekeeper daemon` both run exactly this.
//!
//! It keeps every active session fresh: [`Schedule`] says what is due when, the loop sleeps on the
//! wall clock until then (`Clock::sleep_until`, which also wakes on a clock jump), refreshes
//! what is due in one batch (one credentials-file write), and reports what happened as
//! [`Event`]s.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use std::collections::BTreeMap;

use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio::task::{JoinHandle, JoinSet};

use crate::credentials::Credentials;
use crate::delivery::Outcome;
use crate::engine::Renewed;
use crate::engine::{
    ActivateOptions, Activation, CredentialRequest, Engine, GivenCode, MfaPrompt, NoMfaPrompt,
    ProfileSummary, SessionStatus,
};
use crate::error::Error;
use crate::schedule::{AfterFailure, AfterSuccess, FailureKind, Policy, Schedule};
use crate::secret::Secret;
use crate::snapshot::Snapshot;
use crate::state::FileStamp;
use crate::state::Terms;

/// What a command with a reply answers.
pub type Reply<T> = oneshot::Sender<crate::error::Result<T>>;

/// Requests to the running engine. The ones with a reply change a session: every change goes
/// through the loop, so it plans with what it did and tells every window and the tray.
#[derive(Debug)]
pub enum Command {
    /// Activate `name` (renew it, when active) with the code the user typed, if any: the
    /// desktop's Activate, "Refresh now" (`request.renew`) and the MFA dialog.
    Activate {
        name: String,
        request: CredentialRequest,
        code: Option<Secret>,
        options: ActivateOptions,
        reply: Reply<Activation>,
    },
    /// Stop keeping `name` fresh and give back what delivering it changed.
    Deactivate {
        name: String,
        force: bool,
        reply: Reply<bool>,
    },
    /// Credentials for `name` now, in the serving order (`Engine::serve`) with nobody to ask for
    /// a code: the desktop's "Copy export lines".
    Serve {
        name: String,
        reply: Reply<Credentials>,
    },
    /// Re-read the files and refresh every active session now, including those waiting for
    /// the user (this is the user acting).
    RefreshAll,
    /// Re-read the files and the state file and plan again; refresh only what is due.
    Reload,
    /// Plan with another policy from now on (the user changed the settings).
    SetPolicy(Policy),
    /// `true`: refresh nothing by itself until `false` ("Pause all" / "Resume"). An explicit
    /// `RefreshAll` still runs.
    Pause(bool),
    /// The machine woke from sleep (logind said so, see `sleep.rs`): re-read the state and
    /// retry now what was waiting on a backoff.
    Woke,
    /// The state file changed (another process, or this one outside the loop: see `watch.rs`):
    /// follow it, reporting what changed.
    Follow,
    /// An IAM Identity Center sign-in was made or ended here (the desktop's Sign in / Sign
    /// out): look at every sign-in now.
    SsoChanged,
    /// The config or credentials file was created, edited or removed (see `watch/files.rs`):
    /// read them again, unless the change is this loop's own write.
    FilesChanged,
    /// Stop the loop.
    Stop,
}

/// What the engine reports. Closed: every consumer handles every variant. Messages name
/// profiles, files and STS errors; never a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The profile files were read; `profiles` is how many profiles they define.
    Reloaded { profiles: usize },
    /// A profile file could not be used; the message says which, where, and what to do.
    Problem { message: String },
    /// A session's credentials were renewed and written (by this engine, or by another process
    /// or a command of this one: `rolekeeper login`, a code typed in the dialog).
    Refreshed {
        name: String,
        expires: Option<SystemTime>,
    },
    /// A session became active (here or in another process).
    Activated {
        name: String,
        expires: Option<SystemTime>,
    },
    /// A session is no longer active (here or in another process): nothing of it is renewed.
    Deactivated { name: String },
    /// A session's delivery or length was changed; the next renewal keeps to the new choice.
    Changed { name: String },
    /// A session that cannot renew by itself expires soon (it is waiting for the user).
    Expiring { name: String, at: SystemTime },
    /// A session needs an MFA code (from the device `serial`) to renew.
    MfaNeeded {
        name: String,
        serial: String,
        message: String,
    },
    /// A refresh failed; `retry_at` is when it is tried again by itself (`None`: it waits for
    /// the user).
    Failed {
        name: String,
        /// A few words for a menu: STS's error code, or the kind of problem.
        reason: String,
        message: String,
        retry_at: Option<SystemTime>,
    },
    /// A session that was failing was refreshed again.
    Recovered { name: String },
    /// A `~/.aws/config` profile of this name wins over the credentials file for the AWS tools.
    Shadowed { name: String, by: String },
    /// The session's section in the credentials file is someone else's, or was edited: it was
    /// left alone.
    Conflict { name: String, message: String },
    /// An IAM Identity Center sign-in is good (again), its access token until `until` and
    /// renewed by itself.
    SsoSignedIn { session: String, until: SystemTime },
    /// A sign-in that cannot be renewed (its portal session is over, or a legacy profile's)
    /// ends at `at`: sign in before then to keep its sessions fresh.
    SsoEnding { session: String, at: SystemTime },
    /// A sign-in is needed: the sessions that use it wait for it.
    SsoSignInNeeded { session: String, message: String },
    /// No active session uses this sign-in any more: whatever was asked about it is void.
    SsoIdle { session: String },
    /// The loop has stopped.
    Stopped,
}

/// How a session stands with the running engine, beyond what the files say: what the tray and
/// the windows show next to each session. Messages carry no secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    /// Refreshed (or not yet due) with no trouble.
    Fine,
    /// Failing transiently; tried again by itself at `retry_at`.
    Retrying {
        reason: String,
        message: String,
        retry_at: SystemTime,
    },
    /// Needs a code from the MFA device `serial`.
    NeedsMfa { serial: String, message: String },
    /// Failing in a way only the user can fix (denied, bad keys, a conflict in the file).
    NeedsUser { reason: String, message: String },
}

/// Every active session's health, by name. Sessions not in the map are fine.
pub type HealthMap = BTreeMap<String, Health>;

/// The profiles and active sessions as the loop last saw them, with every renewal it made since:
/// what the tray draws, with no file read. Published once per look and once per batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overview {
    /// Every profile; the problem in words when the profile files cannot be used.
    pub profiles: std::result::Result<Vec<ProfileSummary>, String>,
    /// The active sessions; `remaining` as of the look (see [`Overview::sessions_at`]).
    pub sessions: Vec<SessionStatus>,
}

impl Default for Overview {
    /// Before the loop's first look: no profiles yet, nothing active.
    fn default() -> Self {
        Self {
            profiles: Ok(Vec::new()),
            sessions: Vec::new(),
        }
    }
}

impl Overview {
    /// The sessions with the time each has left at `now`.
    pub fn sessions_at(&self, now: SystemTime) -> Vec<SessionStatus> {
        self.sessions
            .iter()
            .cloned()
            .map(|mut s| {
                s.remaining = s
                    .expires_at
                    .map(|at| at.duration_since(now).unwrap_or_default());
                s
            })
            .collect()
    }
}

/// A running engine. Dropping the handle closes the channel, which also stops the loop.
#[derive(Debug)]
pub struct EngineHandle {
    commands: mpsc::Sender<Command>,
    events: broadcast::Sender<Event>,
    health: watch::Receiver<HealthMap>,
    overview: watch::Receiver<Arc<Overview>>,
    task: Option<JoinHandle<()>>,
    /// Forwards logind's wake signals as [`Command::Woke`].
    wakes: JoinHandle<()>,
    /// Forwards changes of the state file as [`Command::Follow`].
    follows: JoinHandle<()>,
    /// Forwards changes of the AWS files as [`Command::FilesChanged`].
    files: JoinHandle<()>,
    /// Serves the sessions this engine holds to the user's other RoleKeeper processes.
    sessions: Option<JoinHandle<()>>,
}

impl Drop for EngineHandle {
    fn drop(&mut self) {
        self.wakes.abort();
        self.follows.abort();
        self.files.abort();
        if let Some(sessions) = &self.sessions {
            sessions.abort();
        }
    }
}

impl EngineHandle {
    /// Start the loop on the current tokio runtime, with the policy from the environment.
    pub fn spawn(engine: Arc<Engine>) -> Self {
        let policy = engine.policy();
        Self::spawn_with_policy(engine, policy)
    }

    pub fn spawn_with_policy(engine: Arc<Engine>, policy: Policy) -> Self {
        Self::spawn_subscribed(engine, policy).0
    }

    /// [`EngineHandle::spawn_with_policy`], with a receiver of every event from the first: one
    /// subscribed after the spawn may miss what the loop says at once (a file it cannot read).
    pub fn spawn_subscribed(
        engine: Arc<Engine>,
        policy: Policy,
    ) -> (Self, broadcast::Receiver<Event>) {
        let (commands, rx) = mpsc::channel(16);
        // A batch emits two events a session at most, with no await between them: room for a
        // batch of 500 before a slow subscriber (the daemon's log) misses any (about 100 kB).
        let (events, first) = broadcast::channel(1024);
        let (health_tx, health) = watch::channel(HealthMap::new());
        let (overview_tx, overview) = watch::channel(Arc::new(Overview::default()));
        let state_dir = engine.state_store().dir().to_owned();
        let locations = engine.locations();
        #[cfg(unix)]
        let sessions = crate::session_socket::socket_path(engine.env()).map(|path| {
            tokio::spawn(crate::session_socket::serve(
                path,
                Arc::clone(engine.held()),
                engine.clock_arc(),
            ))
        });
        #[cfg(not(unix))]
        let sessions = None;
        let task = tokio::spawn(run(
            engine,
            policy,
            rx,
            events.clone(),
            (health_tx, overview_tx),
        ));
        // Weak senders: dropping the handle still closes the channel and stops the loop.
        let wakes = tokio::spawn(crate::sleep::forward_wakes(commands.downgrade(), || {
            Command::Woke
        }));
        let follows = tokio::spawn(crate::watch::forward_state_changes(
            state_dir,
            commands.downgrade(),
            || Command::Follow,
        ));
        let files = tokio::spawn(crate::watch::forward_file_changes(
            vec![locations.config, locations.credentials],
            commands.downgrade(),
            || Command::FilesChanged,
        ));
        let handle = Self {
            commands,
            events,
            health,
            overview,
            task: Some(task),
            wakes,
            follows,
            files,
            sessions,
        };
        (handle, first)
    }

    /// Each session's health now (sessions not listed are fine).
    pub fn health(&self) -> HealthMap {
        self.health.borrow().clone()
    }

    /// The profiles and sessions as the loop last saw them (see [`Overview`]).
    pub fn overview(&self) -> Arc<Overview> {
        Arc::clone(&self.overview.borrow())
    }

    /// Pause (or resume) refreshing by schedule.
    pub fn set_paused(&self, paused: bool) {
        let _ = self.commands.try_send(Command::Pause(paused));
    }

    /// Plan with `policy` from now on.
    pub fn set_policy(&self, policy: Policy) {
        let _ = self.commands.try_send(Command::SetPolicy(policy));
    }

    /// Re-read the state file now (after this process changed it, e.g. a session renewed with
    /// an MFA code) and plan again; refreshes only what is due.
    pub fn reload(&self) {
        let _ = self.commands.try_send(Command::Reload);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    /// A handle to ask the loop for changes with a reply, for as many tasks as need one.
    pub fn client(&self) -> EngineClient {
        EngineClient {
            commands: self.commands.clone(),
        }
    }

    /// Tell the loop a sign-in was made or ended here; returns at once.
    pub fn sso_changed(&self) {
        let _ = self.commands.try_send(Command::SsoChanged);
    }

    /// Ask for a refresh of everything; returns at once.
    pub fn refresh_all(&self) {
        // A full queue already holds a refresh request; dropping this one loses nothing.
        let _ = self.commands.try_send(Command::RefreshAll);
    }

    /// Stop the loop and wait for it, at most a few seconds; the sessions socket is closed and
    /// its file removed before this returns.
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
        if let Some(sessions) = self.sessions.take() {
            sessions.abort();
            // Cancelled: its socket file is gone.
            let _ = sessions.await;
        }
    }
}

/// Asks the running loop for a change of a session and waits for its answer: the one way the
/// desktop activates, renews (a typed code, "Refresh now"), deactivates and serves, so the loop
/// plans with what was done and tells every window and the tray. Cheap to clone.
#[derive(Debug, Clone)]
pub struct EngineClient {
    commands: mpsc::Sender<Command>,
}

impl EngineClient {
    /// Ask the loop to do `command` and wait for its answer.
    async fn ask<T>(&self, command: impl FnOnce(Reply<T>) -> Command) -> crate::error::Result<T> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(command(reply))
            .await
            .map_err(|_| Error::EngineStopped)?;
        answer.await.map_err(|_| Error::EngineStopped)?
    }

    /// Activate (or renew) `name` through the loop; `code` is the MFA code the user typed, used
    /// for this request only. See [`Engine::activate`].
    pub async fn activate(
        &self,
        name: &str,
        request: CredentialRequest,
        code: Option<Secret>,
        options: ActivateOptions,
    ) -> crate::error::Result<Activation> {
        self.ask(|reply| Command::Activate {
            name: name.to_owned(),
            request,
            code,
            options,
            reply,
        })
        .await
    }

    /// Deactivate `name` through the loop. See [`Engine::deactivate`].
    pub async fn deactivate(&self, name: &str, force: bool) -> crate::error::Result<bool> {
        self.ask(|reply| Command::Deactivate {
            name: name.to_owned(),
            force,
            reply,
        })
        .await
    }

    /// Credentials for `name` now, through the loop. See [`Engine::serve`].
    pub async fn serve(&self, name: &str) -> crate::error::Result<Credentials> {
        self.ask(|reply| Command::Serve {
            name: name.to_owned(),
            reply,
        })
        .await
    }
}

struct Loop {
    engine: Arc<Engine>,
    overview: watch::Sender<Arc<Overview>>,
    schedule: Schedule,
    events: broadcast::Sender<Event>,
    health: watch::Sender<HealthMap>,
    /// The active sessions as last seen, with the terms each is kept on: what a change of the
    /// state file is compared with, and what each renewal is obtained (and checked) for.
    known: Option<BTreeMap<String, Known>>,
    /// Why the state file cannot be read now, as last told.
    state_problem: Option<String>,
    /// Commands that came while a batch was on its way, to handle after it.
    deferred: std::collections::VecDeque<Command>,
    /// Stop was asked for (or every handle is gone): the loop ends after the batch.
    stopping: bool,
    /// The state file as this loop's last batch left it: the change the watch then reports is
    /// its own, and is not read back.
    own_write: Option<FileStamp>,
    /// The config and credentials files as the loop last read (or itself wrote) them: a
    /// change the file watch reports is read only when they differ.
    files_seen: [Option<FileStamp>; 2],
    /// The IAM Identity Center sign-ins the active sessions use.
    sso: sso::SsoWatch,
    /// Which sign-in each active session uses (`None`: none), worked out once per reload.
    sso_of: BTreeMap<String, Option<crate::sso::SsoSession>>,
}

mod sso;

/// An active session as the loop last saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Known {
    expires: Option<SystemTime>,
    terms: Terms,
}

async fn run(
    engine: Arc<Engine>,
    policy: Policy,
    mut commands: mpsc::Receiver<Command>,
    events: broadcast::Sender<Event>,
    (health, overview): (watch::Sender<HealthMap>, watch::Sender<Arc<Overview>>),
) {
    let mut this = Loop {
        overview,
        engine: Arc::clone(&engine),
        schedule: Schedule::new(policy),
        events,
        health,
        known: None,
        state_problem: None,
        deferred: std::collections::VecDeque::new(),
        stopping: false,
        own_write: None,
        files_seen: [None, None],
        sso: sso::SsoWatch::default(),
        sso_of: BTreeMap::new(),
    };
    // A change another RoleKeeper was killed in the middle of is finished or undone first.
    match crate::delivery::recover(&engine.locations().credentials, &engine.state_store()) {
        Ok(true) => tracing::info!("finished a change that was cut short"),
        Ok(false) => {}
        Err(e) => this.state_unusable(&e),
    }
    this.reload();
    let mut paused = false;
    loop {
        if !paused {
            this.do_what_is_due(&mut commands).await;
        }
        if this.stopping {
            break;
        }
        // Commands that came while a batch was on its way are handled first, in order.
        let command = match this.deferred.pop_front() {
            Some(command) => Some(command),
            None => {
                let wake = if paused {
                    None
                } else {
                    match (this.schedule.next_wake(), this.sso.next_due()) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    }
                };
                tracing::debug!(?wake, sessions = this.schedule.len(), "sleeping");
                tokio::select! {
                    command = commands.recv() => command,
                    () = sleep_until(&engine, wake) => continue,
                }
            }
        };
        match command {
            Some(Command::RefreshAll) => {
                let snapshot = Arc::new(engine.snapshot());
                this.reload_from(&snapshot);
                // Everything, not only what is due (the user asked), but nothing renewed in the
                // last few seconds: that comes a little later, by the schedule.
                let now = engine.clock().now();
                this.schedule.renew_all_now(now);
                let due = this.schedule.due(now);
                this.refresh(due, snapshot, &mut commands).await;
            }
            Some(Command::Reload) => this.reload(),
            Some(Command::Follow) => this.follow_changes(),
            Some(Command::FilesChanged) => {
                if this.files_stamps() != this.files_seen {
                    this.reload();
                }
            }
            Some(Command::Woke) => {
                tracing::info!("woke from sleep: checking every session");
                this.reload();
                this.schedule.retry_transient_now(engine.clock().now());
                this.sso.all_due(engine.clock().now());
            }
            Some(Command::SsoChanged) => this.sso.all_due(engine.clock().now()),
            Some(Command::SetPolicy(policy)) => this.schedule.set_policy(policy),
            Some(Command::Activate {
                name,
                request,
                code,
                options,
                reply,
            }) => {
                let done = this.activate(&name, &request, code, options).await;
                let _ = reply.send(done);
            }
            Some(Command::Deactivate { name, force, reply }) => {
                let done = engine.deactivate(&name, force);
                this.follow_state();
                let _ = reply.send(done);
            }
            Some(Command::Serve { name, reply }) => {
                let snapshot = engine.snapshot();
                let served = engine
                    .serve(
                        &snapshot,
                        &name,
                        &CredentialRequest::default(),
                        &NoMfaPrompt,
                    )
                    .await;
                // A stale session served is renewed and delivered: follow what was written.
                this.follow_state();
                let _ = reply.send(served);
            }
            Some(Command::Pause(pause)) => {
                tracing::info!(paused = pause, "refreshing by schedule");
                paused = pause;
            }
            Some(Command::Stop) | None => break,
        }
        if this.stopping {
            break;
        }
    }
    this.emit(Event::Stopped);
}

/// Sleep until `wake`, or forever when nothing is planned (a command still wakes the loop).
async fn sleep_until(engine: &Engine, wake: Option<SystemTime>) {
    match wake {
        Some(at) => engine.clock().sleep_until(at).await,
        None => std::future::pending().await,
    }
}

impl Loop {
    fn emit(&self, event: Event) {
        tracing::debug!(?event, "engine");
        self.health.send_modify(|map| track_health(map, &event));
        // No subscriber is fine: the daemon may log only.
        let _ = self.events.send(event);
    }

    /// Re-read the files and the active sessions; plan them. `Reloaded` says all is well (and
    /// clears an earlier problem); each file that cannot be used is a `Problem` instead.
    fn reload(&mut self) {
        self.reload_from(&self.engine.snapshot());
    }

    /// [`Loop::reload`] from `snapshot`.
    fn reload_from(&mut self, snapshot: &Snapshot) {
        // Taken before the files are read: a change made while they are is read again.
        self.files_seen = self.files_stamps();
        let summaries = snapshot.profile_summaries().map_err(|e| e.to_string());
        let profiles = snapshot.profiles().map(|set| set.names().count());
        if let Err(e) = &profiles {
            self.emit(Event::Problem {
                message: e.to_string(),
            });
        }
        self.sso_of.clear();
        match snapshot.sessions() {
            Ok(sessions) => {
                self.state_problem = None;
                self.sync(&sessions);
                self.sync_sso(snapshot);
                self.publish(Overview {
                    profiles: summaries,
                    sessions: sessions.clone(),
                });
                if let Ok(profiles) = profiles {
                    self.emit(Event::Reloaded { profiles });
                }
                for s in sessions {
                    if let Some(by) = s.shadowed_by {
                        self.emit(Event::Shadowed { name: s.name, by });
                    }
                }
            }
            Err(e) => self.state_unusable(&e),
        }
    }

    /// Follow the state file: another process (`rolekeeper activate`) may have started,
    /// refreshed or stopped a session since the last look. An unreadable state file is said
    /// once (and again when it is fine), and the plan made before it stays meanwhile.
    fn follow_state(&mut self) {
        self.follow_state_in(&self.engine.snapshot());
    }

    /// The config and credentials files on disk now (stats, no read).
    fn files_stamps(&self) -> [Option<FileStamp>; 2] {
        let at = self.engine.locations();
        [FileStamp::of(&at.config), FileStamp::of(&at.credentials)]
    }

    /// The state file changed: follow it, unless the change is this loop's own last write.
    fn follow_changes(&mut self) {
        if !self.state_is_own_write() {
            self.follow_state();
        }
    }

    /// The state file on disk is the one this loop's last batch wrote (a stat, not a read): what
    /// the loop knows is what the file says.
    fn state_is_own_write(&self) -> bool {
        self.own_write.is_some() && self.own_write == self.engine.state_store().stamp()
    }

    /// [`Loop::follow_state`] from `snapshot`.
    fn follow_state_in(&mut self, snapshot: &Snapshot) {
        // The state alone says who is active and when each expires: the profile files are not
        // read (who shadows whom is told on a reload).
        match snapshot.sessions_in_state() {
            Ok(sessions) => {
                if self.state_problem.take().is_some() {
                    tracing::info!("the state file can be read again");
                    self.reload();
                } else {
                    self.sync(&sessions);
                    self.sync_sso(snapshot);
                    self.publish_sessions(sessions);
                }
            }
            Err(e) => self.state_unusable(&e),
        }
    }

    /// Activate or renew `name` for the user, then plan with it and say what happened: a session
    /// renewed is `Refreshed` (and `Recovered` when it was failing or waiting for a code, which
    /// closes the notification that asked), one new is `Activated`.
    async fn activate(
        &mut self,
        name: &str,
        request: &CredentialRequest,
        code: Option<Secret>,
        options: ActivateOptions,
    ) -> crate::error::Result<Activation> {
        let code_given = code.is_some();
        let prompt: Box<dyn MfaPrompt> = match code {
            Some(code) => Box::new(GivenCode(code)),
            None => Box::new(NoMfaPrompt),
        };
        let engine = Arc::clone(&self.engine);
        let done = engine
            .activate(name, request, prompt.as_ref(), options)
            .await;
        // A failure is the asker's to tell (the dialog shows a refused code): the session's
        // health stays as the last renewal left it.
        if let Ok(activation) = &done {
            let known = self.known.as_ref().is_some_and(|k| k.contains_key(name));
            if known {
                self.renewed(name.to_owned(), activation.expiration);
            }
            // New sessions, and changed terms, as the state now says.
            self.follow_state();
            // A code typed for one session made an MFA session the others waiting on a code may
            // renew from: they are tried now (those of another device wait again, unasked).
            if code_given {
                let now = self.engine.clock().now();
                self.schedule.retry_needing_mfa_now(now);
            }
        }
        done
    }

    /// Publish `overview` if it differs from the last one.
    fn publish(&self, overview: Overview) {
        self.overview.send_if_modified(|last| {
            let changed = **last != overview;
            if changed {
                *last = Arc::new(overview);
            }
            changed
        });
    }

    /// Publish `sessions` (read from the state alone) with the profiles and the shadowing of the
    /// last full look.
    fn publish_sessions(&self, mut sessions: Vec<SessionStatus>) {
        let last = self.overview.borrow().clone();
        for s in &mut sessions {
            s.shadowed_by = last
                .sessions
                .iter()
                .find(|l| l.name == s.name)
                .and_then(|l| l.shadowed_by.clone());
        }
        self.publish(Overview {
            profiles: last.profiles.clone(),
            sessions,
        });
    }

    /// Sessions renewed by this loop: their new expiry, issued now, in the overview.
    fn publish_renewals(&self, renewed: &[(String, Option<SystemTime>)]) {
        if renewed.is_empty() {
            return;
        }
        let now = self.engine.clock().now();
        let last = self.overview.borrow().clone();
        let mut sessions = last.sessions.clone();
        for s in &mut sessions {
            if let Some((_, expires)) = renewed.iter().find(|(name, _)| *name == s.name) {
                s.expires_at = *expires;
                s.expires = expires.map(crate::credentials::isoformat);
                s.length = expires.and_then(|at| at.duration_since(now).ok());
                s.remaining = s.length;
            }
        }
        self.publish(Overview {
            profiles: last.profiles.clone(),
            sessions,
        });
    }

    /// The state file cannot be read: nothing can be renewed or written until it can; the user
    /// hears of it (the tray's headline, a notification, the daemon's log) once per problem.
    fn state_unusable(&mut self, error: &Error) {
        let message = error.to_string();
        if self.state_problem.as_deref() != Some(message.as_str()) {
            self.state_problem = Some(message.clone());
            self.emit(Event::Problem { message });
        }
    }

    fn sync(&mut self, sessions: &[SessionStatus]) {
        let failing: Vec<String> = sessions
            .iter()
            .filter(|s| self.schedule.is_waiting_or_retrying(&s.name))
            .map(|s| s.name.clone())
            .collect();
        self.schedule.sync(
            sessions
                .iter()
                .map(|s| (s.name.as_str(), s.expires_at, s.length)),
        );
        let now: BTreeMap<String, Known> = sessions
            .iter()
            .map(|s| {
                let known = Known {
                    expires: s.expires_at,
                    terms: Terms {
                        delivery: s.delivery,
                        duration_seconds: s.duration_seconds,
                    },
                };
                (s.name.clone(), known)
            })
            .collect();
        // What others changed since the last look, told as events (nothing at the first look:
        // that is where the loop starts).
        let changes = match &self.known {
            Some(before) => changes(before, &now),
            None => Vec::new(),
        };
        self.known = Some(now);
        for event in changes {
            let recovered = match &event {
                Event::Refreshed { name, .. } if failing.contains(name) => Some(name.clone()),
                _ => None,
            };
            self.emit(event);
            if let Some(name) = recovered {
                self.emit(Event::Recovered { name });
            }
        }
        // A session renewed elsewhere (another process, a code typed in) is fine again; one
        // deactivated is forgotten.
        let schedule = &self.schedule;
        self.health.send_if_modified(|map| {
            let before = map.len();
            map.retain(|name, _| schedule.is_waiting_or_retrying(name));
            map.len() != before
        });
    }

    async fn do_what_is_due(&mut self, commands: &mut mpsc::Receiver<Command>) {
        // One snapshot for the look at the state and the batch it leads to.
        let snapshot = Arc::new(self.engine.snapshot());
        if !self.state_is_own_write() {
            self.follow_state_in(&snapshot);
        }
        let now = self.engine.clock().now();
        for (name, at) in self.schedule.take_warnings(now) {
            self.emit(Event::Expiring { name, at });
        }
        let due = self.schedule.due(now);
        if !due.is_empty() {
            self.refresh(due, Arc::clone(&snapshot), commands).await;
        }
        self.keep_sign_ins_fresh(&snapshot).await;
    }

    /// Watch the sign-ins the active sessions use. Which sign-in a session uses is worked out
    /// once per reload (the profile files are read only for a session not seen before).
    fn sync_sso(&mut self, snapshot: &Snapshot) {
        let Some(known) = &self.known else {
            return;
        };
        let names: Vec<String> = known.keys().cloned().collect();
        self.sso_of.retain(|name, _| names.contains(name));
        for name in names {
            if let std::collections::btree_map::Entry::Vacant(entry) = self.sso_of.entry(name) {
                let session = match snapshot.plan(entry.key()) {
                    Ok(plan) => match plan.base {
                        crate::resolve::Base::Sso { role, .. } => Some(role.session),
                        _ => None,
                    },
                    Err(_) => None,
                };
                entry.insert(session);
            }
        }
        let mut sessions: Vec<crate::sso::SsoSession> = Vec::new();
        for session in self.sso_of.values().flatten() {
            if !sessions.contains(session) {
                sessions.push(session.clone());
            }
        }
        for session in self.sso.sync(sessions, self.engine.clock().now()) {
            self.emit(Event::SsoIdle { session });
        }
    }

    /// Refresh the access tokens that are due (one call each, a few a day), and tell what
    /// changed. A sign-in good again retries the sessions that waited for it.
    async fn keep_sign_ins_fresh(&mut self, snapshot: &Snapshot) {
        let now = self.engine.clock().now();
        for session in self.sso.due(now) {
            let found = self.engine.sso_keep_fresh(snapshot, &session).await;
            let now = self.engine.clock().now();
            let (events, good_again) = self.sso.looked(&session, found, now);
            for event in events {
                self.emit(event);
            }
            if good_again {
                self.schedule.retry_now(now);
            }
        }
    }

    /// A command that came while a batch was on its way (STS may take seconds): a change of the
    /// state file is followed at once (a session deactivated elsewhere is reported now, and its
    /// renewal in flight is not written), a stop ends the calls; the rest waits for the batch.
    fn during_batch(&mut self, command: Option<Command>) {
        match command {
            Some(Command::Follow) => self.follow_changes(),
            Some(Command::Stop) | None => self.stopping = true,
            Some(other) => self.deferred.push_back(other),
        }
    }

    /// Obtain new credentials for `names` concurrently, each on the terms its session is kept
    /// on, then write all that succeeded in one write of the credentials file.
    async fn refresh(
        &mut self,
        names: Vec<String>,
        snapshot: Arc<Snapshot>,
        commands: &mut mpsc::Receiver<Command>,
    ) {
        let known = self.known.clone().unwrap_or_default();
        let names: Vec<(String, Terms)> = names
            .into_iter()
            .filter_map(|name| known.get(&name).map(|k| (name, k.terms)))
            .collect();
        if names.is_empty() {
            return;
        }
        tracing::info!(names = ?names.iter().map(|(n, _)| n).collect::<Vec<_>>(), "refreshing");
        // One snapshot for the whole batch: every renewal plans from the same reads.
        let mut calls = JoinSet::new();
        for (name, terms) in names {
            // A new role session, never the one held or kept: that is the one being renewed
            // (or, for "Refresh all now", the one the user wants replaced). An MFA session is
            // still used.
            let request = CredentialRequest {
                duration: terms.duration_seconds.map(Duration::from_secs),
                renew: true,
                ..CredentialRequest::default()
            };
            let job = match self.engine.job(&snapshot, &name, &request) {
                Ok(job) => job,
                Err(error) => {
                    self.failed(&name, &error);
                    continue;
                }
            };
            let engine = Arc::clone(&self.engine);
            let snapshot = Arc::clone(&snapshot);
            calls.spawn(async move {
                // In the background nobody can be asked for a code: a session that needs one
                // reports it and waits (the desktop then asks the user). Sessions sharing an MFA
                // device share one MFA session, got once (see `obtain::Held::flight`).
                let obtainer = engine.obtainer(&snapshot);
                let result = crate::obtain::obtain(&obtainer, job, &NoMfaPrompt)
                    .await
                    .map(|o| o.credentials);
                (name, terms, result)
            });
        }
        let mut obtained: Vec<(String, Credentials, Terms)> = Vec::new();
        loop {
            let joined = tokio::select! {
                joined = calls.join_next() => joined,
                command = commands.recv(), if !self.stopping => {
                    self.during_batch(command);
                    if self.stopping {
                        // Quitting: what is still on its way is not waited for.
                        calls.abort_all();
                    }
                    continue;
                }
            };
            let Some(joined) = joined else {
                break;
            };
            let Ok((name, terms, result)) = joined else {
                continue; // a panicked call: nothing to write, the schedule retries it
            };
            match result {
                Ok(credentials) => obtained.push((name, credentials, terms)),
                Err(error) => self.failed(&name, &error),
            }
        }
        obtained.sort_by(|a, b| a.0.cmp(&b.0));
        self.write(&snapshot, obtained);
    }

    fn write(&mut self, snapshot: &Snapshot, obtained: Vec<(String, Credentials, Terms)>) {
        if obtained.is_empty() {
            return;
        }
        let engine = Arc::clone(&self.engine);
        match engine.deliver_renewed(snapshot, &obtained) {
            Ok(Renewed {
                target,
                outcomes,
                stamp,
            }) => {
                self.own_write = stamp;
                // The credentials file as this batch left it: its watch tells of its own write.
                self.files_seen[1] = FileStamp::of(&target);
                let mut stale = false;
                let mut renewed = Vec::new();
                let expirations: BTreeMap<&str, Option<SystemTime>> = obtained
                    .iter()
                    .map(|(name, credentials, _)| (name.as_str(), credentials.expiration))
                    .collect();
                for (name, outcome) in outcomes {
                    let expiration = expirations.get(name.as_str()).copied().flatten();
                    match outcome {
                        Outcome::Written => {
                            renewed.push((name.clone(), expiration));
                            self.renewed(name, expiration);
                        }
                        Outcome::Stale => {
                            // Deactivated or changed by someone else while STS answered: their
                            // change wins, and the next look at the state says what it was.
                            tracing::info!(session = %name, "renewal not delivered: the session was deactivated or changed meanwhile");
                            stale = true;
                        }
                        Outcome::Conflict(conflict) => {
                            let message = Error::Conflict {
                                path: target.clone(),
                                conflict,
                            }
                            .to_string();
                            let now = engine.clock().now();
                            self.schedule
                                .failed(&name, FailureKind::NeedsUser, now, jitter());
                            self.emit(Event::Conflict { name, message });
                        }
                    }
                }
                // Once per batch: the tray redraws from this, not from the files.
                self.publish_renewals(&renewed);
                if stale {
                    self.follow_state();
                }
            }
            Err(error) => {
                // The whole write failed (disk full, permissions): a transient failure for all.
                for (name, _, _) in &obtained {
                    self.failed(name, &error);
                }
            }
        }
    }

    /// `name` was renewed and its new credentials delivered.
    fn renewed(&mut self, name: String, expires: Option<SystemTime>) {
        let now = self.engine.clock().now();
        let after = self.schedule.succeeded(&name, expires, now);
        if let Some(known) = self.known.as_mut().and_then(|k| k.get_mut(&name)) {
            known.expires = expires;
        }
        self.emit(Event::Refreshed {
            name: name.clone(),
            expires,
        });
        match after {
            AfterSuccess::Fresh => {}
            AfterSuccess::Recovered => self.emit(Event::Recovered { name }),
            AfterSuccess::AlreadyDue => {
                let at = expires
                    .map(crate::credentials::isoformat)
                    .unwrap_or_default();
                self.emit(Event::Failed {
                    name: name.clone(),
                    reason: "expired on arrival".to_owned(),
                    message: format!(
                        "STS gave `{name}` credentials that expire at {at}, which is already \
                         past by this machine's clock; RoleKeeper stops renewing it until you \
                         act. Check the clock (`rolekeeper doctor`), then use Refresh now"
                    ),
                    retry_at: None,
                });
            }
        }
    }

    fn failed(&mut self, name: &str, error: &Error) {
        let kind = failure_kind(error);
        let now = self.engine.clock().now();
        let message = error.to_string();
        let after = self.schedule.failed(name, kind, now, jitter());
        let event = match (error, after) {
            (
                Error::MfaCodeUnavailable { serial, .. }
                | Error::MfaCodeRejected { serial, .. }
                | Error::MfaCodeReused { serial, .. },
                _,
            ) => Event::MfaNeeded {
                name: name.to_owned(),
                serial: serial.clone(),
                message,
            },
            (_, AfterFailure::RetryAt(at)) => Event::Failed {
                name: name.to_owned(),
                reason: error.reason(),
                message,
                retry_at: Some(at),
            },
            (_, AfterFailure::WaitForUser) => Event::Failed {
                name: name.to_owned(),
                reason: error.reason(),
                message,
                retry_at: None,
            },
        };
        self.emit(event);
    }
}

/// What changed between two looks at the active sessions, as events, in name order: sessions
/// activated, deactivated, renewed (a new expiry) or given new terms by someone else.
fn changes(before: &BTreeMap<String, Known>, now: &BTreeMap<String, Known>) -> Vec<Event> {
    let mut events = Vec::new();
    for (name, known) in now {
        match before.get(name) {
            None => events.push(Event::Activated {
                name: name.clone(),
                expires: known.expires,
            }),
            Some(old) => {
                if old.terms != known.terms {
                    events.push(Event::Changed { name: name.clone() });
                }
                if old.expires != known.expires {
                    events.push(Event::Refreshed {
                        name: name.clone(),
                        expires: known.expires,
                    });
                }
            }
        }
    }
    events.extend(
        before
            .keys()
            .filter(|name| !now.contains_key(*name))
            .map(|name| Event::Deactivated { name: name.clone() }),
    );
    events
}

/// Keep the health map in step with what the loop reports.
fn track_health(map: &mut HealthMap, event: &Event) {
    let (name, health) = match event {
        Event::Refreshed { name, .. }
        | Event::Recovered { name }
        | Event::Activated { name, .. }
        | Event::Deactivated { name } => (name, Health::Fine),
        Event::MfaNeeded {
            name,
            serial,
            message,
        } => (
            name,
            Health::NeedsMfa {
                serial: serial.clone(),
                message: message.clone(),
            },
        ),
        Event::Failed {
            name,
            reason,
            message,
            retry_at: Some(at),
        } => (
            name,
            Health::Retrying {
                reason: reason.clone(),
                message: message.clone(),
                retry_at: *at,
            },
        ),
        Event::Failed {
            name,
            reason,
            message,
            retry_at: None,
        } => (
            name,
            Health::NeedsUser {
                reason: reason.clone(),
                message: message.clone(),
            },
        ),
        Event::Conflict { name, message } => (
            name,
            Health::NeedsUser {
                reason: "conflict in the credentials file".to_owned(),
                message: message.clone(),
            },
        ),
        Event::Reloaded { .. }
        | Event::Problem { .. }
        | Event::SsoSignedIn { .. }
        | Event::SsoEnding { .. }
        | Event::SsoSignInNeeded { .. }
        | Event::SsoIdle { .. }
        | Event::Expiring { .. }
        | Event::Shadowed { .. }
        | Event::Changed { .. }
        | Event::Stopped => return,
    };
    if health == Health::Fine {
        map.remove(name);
    } else {
        map.insert(name.clone(), health);
    }
}

/// Only what retrying can fix is retried without the user: throttling, 5xx, timeouts, the
/// network, a file write that failed. Denied access, bad keys and broken profiles wait.
fn failure_kind(error: &Error) -> FailureKind {
    match error {
        Error::Sts { cause, .. } if cause.is_transient() => FailureKind::Transient,
        // The user must give a (new) code: the desktop asks for one.
        Error::MfaCodeUnavailable { .. }
        | Error::MfaCodeRejected { .. }
        | Error::MfaCodeReused { .. } => FailureKind::NeedsMfa,
        Error::Write { .. } => FailureKind::Transient,
        Error::Sso { cause, .. } if cause.is_transient() => FailureKind::Transient,
        _ => FailureKind::NeedsUser,
    }
}

/// A fraction in `[0, 1)` that differs between calls and processes, for retry jitter. Not for
/// anything secret.
fn jitter() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    // RandomState is seeded per process and per instance: enough to spread retries.
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(std::process::id());
    (hasher.finish() % 1_000_000) as f64 / 1_000_000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[test]
    fn a_refused_or_reused_code_asks_for_the_next_one() {
        let rejected = crate::sts::StsError {
            kind: crate::sts::StsErrorKind::AccessDenied,
            code: Some("AccessDenied".to_owned()),
            detail: "MultiFactorAuthentication failed with invalid MFA one time pass code."
                .to_owned(),
            action: "AssumeRole".to_owned(),
        };
        let (profile, serial) = ("p".to_owned(), "s".to_owned());
        // (error, what the schedule does with it)
        let cases = [
            (
                Error::MfaCodeRejected {
                    profile: profile.clone(),
                    serial: serial.clone(),
                    cause: Box::new(rejected.clone()),
                },
                FailureKind::NeedsMfa,
            ),
            (
                Error::MfaCodeReused {
                    profile: profile.clone(),
                    serial: serial.clone(),
                },
                FailureKind::NeedsMfa,
            ),
            (
                Error::MfaCodeUnavailable {
                    profile: profile.clone(),
                    serial,
                },
                FailureKind::NeedsMfa,
            ),
            (
                Error::Sts {
                    profile,
                    cause: crate::sts::StsError {
                        detail: "User: x is not authorized".to_owned(),
                        ..rejected
                    },
                },
                FailureKind::NeedsUser,
            ),
        ];
        for (error, kind) in cases {
            assert_eq!(failure_kind(&error), kind, "{error}");
        }
    }
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

    #[test]
    fn the_lead_comes_from_the_environment() {
        let engine = |value: &str| {
            Engine::new(
                Arc::new(MapEnv::default().with("ROLEKEEPER_REFRESH_BEFORE", value)),
                Arc::new(MemFs::default()),
                Arc::new(ManualClock::new(std::time::UNIX_EPOCH)),
            )
        };
        assert_eq!(engine("890s").policy().lead, Duration::from_secs(890));
        assert_eq!(
            engine("soon").policy().lead,
            Policy::default().lead,
            "a bad value falls back to the default"
        );
    }
}
