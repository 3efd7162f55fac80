//! Declares the app's own IPC commands, so each window's capability file can grant only the
//! commands that window uses (an app manifest turns off Tauri's allow-everything default).

fn main() {
    let manifest = tauri_build::AppManifest::new().commands(&[
        "list_sessions",
        "refresh_all",
        "diagnostics",
        "mfa_request",
        "submit_mfa_code",
        "cancel_mfa",
    ]);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .unwrap_or_else(|e| panic!("tauri-build: {e:#}"));
}
