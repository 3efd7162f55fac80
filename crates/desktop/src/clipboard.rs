//! The clipboard, written from Rust ("Copy export lines", the sign-in's "Copy code"), so that no
//! secret passes through a web view. Opened on first use: an idle tray holds no connection for it.
//! On X11 the selection is served by this process as long as it runs, which a tray does.

use std::sync::Mutex;

#[derive(Default)]
pub struct Clipboard(Mutex<Option<arboard::Clipboard>>);

impl std::fmt::Debug for Clipboard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Clipboard").finish_non_exhaustive()
    }
}

impl Clipboard {
    /// Put `text` on the clipboard. The error says why in words and never holds the text.
    pub fn write_text(&self, text: impl Into<String>) -> Result<(), String> {
        let mut slot = self
            .0
            .lock()
            .map_err(|_| "the clipboard is unusable after an earlier failure".to_owned())?;
        if slot.is_none() {
            *slot = Some(arboard::Clipboard::new().map_err(|e| e.to_string())?);
        }
        let Some(clipboard) = slot.as_mut() else {
            return Err("no clipboard".to_owned());
        };
        let result = clipboard.set_text(text.into()).map_err(|e| e.to_string());
        if result.is_err() {
            // A clipboard that failed once (the display went away) is opened again next time.
            *slot = None;
        }
        result
    }
}
