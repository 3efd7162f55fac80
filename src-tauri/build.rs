//! Declares the app's own IPC commands, so each window's capability file can grant only the
//! commands that window uses (an app manifest turns off Tauri's allow-everything default).

fn main() {
    let manifest = tauri_build::AppManifest::new().commands(&[
        "list_sessions",
        "refresh_all",
        "mfa_request",
        "submit_mfa_code",
        "cancel_mfa",
        "activate_session",
        "deactivate_session",
        "refresh_session",
        "open_console",
        "list_sources",
        "add_source",
        "remove_source",
        "importable_profiles",
        "import_source",
        "check_source_key",
        "rotate_source",
        "get_settings",
        "set_settings",
        "diagnostics",
        "sso_sessions",
        "sso_sign_in",
        "sso_sign_out",
        "sso_prompt",
        "sso_copy_code",
        "sso_open_page",
        "sso_cancel",
        "tray_notice",
        "copy_text",
        "first_run_guide",
        "open_config_file",
        "about",
        "ui_theme",
    ]);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .unwrap_or_else(|e| panic!("tauri-build: {e:#}"));
}
