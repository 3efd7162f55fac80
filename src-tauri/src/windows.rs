//! Windows are declared in `tauri.conf.json` with `"create": false` and built on first use, so an
//! idle tray app has no web view and no WebKit processes.
//!
//! Closing the last window frees what can be freed: the window's `WebKitWebProcess` exits with
//! its web view, and a few seconds later the heap that WebKit and GTK gave back to malloc is
//! handed back to the system (`release_freed_heap`). What stays is told in BENCHMARKS.md
//! ("Desktop"): the `WebKitNetworkProcess`, which WebKitGTK ends only with the app (Tauri keeps
//! the web context for the app's life on Linux so that reopening reuses it instead of leaking a
//! network process each time), and the library code pages the window touched, which are clean
//! page cache the kernel reclaims when it needs to.

use std::time::Duration;

use tauri::{AppHandle, Manager, WebviewWindow, WebviewWindowBuilder, WindowEvent};

/// The manager window.
pub const MAIN: &str = "main";
/// The MFA code dialog.
pub const MFA: &str = "mfa";
/// The IAM Identity Center sign-in dialog (a device code, or a page to open).
pub const SSO: &str = "sso";

/// Show the window `label`, creating it (and its web view) if it does not exist yet. Failures
/// are logged: a menu click has nobody else to tell.
pub fn show(app: &AppHandle, label: &str) {
    if let Err(e) = try_show(app, label) {
        tracing::error!("cannot open the {label} window: {e}");
    }
}

fn try_show(app: &AppHandle, label: &str) -> tauri::Result<()> {
    let window = match app.get_webview_window(label) {
        Some(window) => window,
        None => create(app, label)?,
    };
    window.show()?;
    window.unminimize()?;
    // Focus can be refused by the window manager; the window is shown either way.
    let _ = window.set_focus();
    tracing::info!(window = label, "window shown");
    Ok(())
}

fn create(app: &AppHandle, label: &str) -> tauri::Result<WebviewWindow> {
    let config = app
        .config()
        .app
        .windows
        .iter()
        .find(|w| w.label == label)
        .cloned()
        .ok_or_else(|| tauri::Error::WindowNotFound)?;
    let window = WebviewWindowBuilder::from_config(app, &config)?.build()?;
    let handle = app.clone();
    window.on_window_event(move |event| {
        if matches!(event, WindowEvent::Destroyed) {
            after_destroyed(&handle);
        }
    });
    Ok(window)
}

/// How long after a window is destroyed the heap is trimmed: WebKit finishes tearing the web view
/// down (its web process exits within about 100 ms) and frees what it held in the meantime.
const TRIM_AFTER: Duration = Duration::from_secs(3);

/// A window was destroyed: once WebKit has let go of it, and if no window is left, give the freed
/// heap back.
fn after_destroyed(app: &AppHandle) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(TRIM_AFTER).await;
        if app.webview_windows().is_empty() {
            // It walks every arena: off the async threads.
            let _ = tokio::task::spawn_blocking(release_freed_heap).await;
        }
    });
}

/// Hand the memory that malloc holds freed back to the system. glibc keeps freed memory at the
/// top of its heaps for reuse, and a closed web view leaves a few MiB of it (2.4 MiB of the main
/// heap, measured; BENCHMARKS.md).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn release_freed_heap() {
    // SAFETY: malloc_trim has no preconditions: it takes malloc's own locks, may run on any
    // thread at any time, and only returns free pages to the kernel.
    let released = unsafe { libc::malloc_trim(0) } == 1;
    tracing::debug!(
        released,
        "last window closed: freed heap handed back (malloc_trim)"
    );
}

/// Other allocators and platforms: nothing to do here.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn release_freed_heap() {}

/// Close the window `label` if it is open; its web view is destroyed with it. (Destroyed, not
/// closed: `CloseRequested` stays the user's own gesture.)
pub fn close(app: &AppHandle, label: &str) {
    if let Some(window) = app.get_webview_window(label) {
        if let Err(e) = window.destroy() {
            tracing::warn!("cannot close the {label} window: {e}");
        }
    }
}
