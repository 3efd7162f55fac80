//! The command-line grammar (clap derive). Every command's help carries an example.

use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use rolekeeper_core::{CredentialRequest, Delivery, ExportFormat};

#[derive(Debug, Parser)]
#[command(
    name = "rolekeeper",
    version,
    about = "Keeps AWS IAM role sessions fresh for every tool on this machine.",
    after_help = "Profiles come from ~/.aws/config and ~/.aws/credentials \
                  (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE and AWS_PROFILE are honoured)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print credentials for a profile, as shell variables, a credential_process document or
    /// JSON for scripts.
    #[command(
        after_help = "Example:\n  eval \"$(rolekeeper export prodaccess --format env)\"\n  \
                            rolekeeper export prodaccess --duration 2h --format process\n  \
                            rolekeeper export prodaccess --format json | jq -r .Expiration\n\n\
                      --format json prints, for a role:\n  \
                      {\n    \"Profile\": \"prodaccess\",\n    \"AccessKeyId\": \"ASIA...\",\n    \
                      \"SecretAccessKey\": \"...\",\n    \"SessionToken\": \"...\",\n    \
                      \"Expiration\": \"2026-11-23T13:44:38+00:00\"\n  }\n\
                      (long-term keys have no SessionToken and no Expiration)"
    )]
    Export(ExportArgs),
    /// Obtain credentials now, write them to the shared credentials file, and keep them fresh.
    #[command(after_help = "Example:\n  rolekeeper activate prodaccess\n  \
                            rolekeeper activate prodaccess staging --duration 2h")]
    Activate(ActivateArgs),
    /// Remove sessions from the credentials file (giving back its earlier bytes) and stop
    /// refreshing them.
    #[command(after_help = "Example:\n  rolekeeper deactivate prodaccess")]
    Deactivate(DeactivateArgs),
    /// Show active sessions with their expiry, and the profiles RoleKeeper can serve.
    #[command(after_help = "Example:\n  rolekeeper status\n  rolekeeper status --json")]
    Status(StatusArgs),
    /// Run the engine without a desktop: logs events, stops on SIGTERM or Ctrl-C.
    #[command(after_help = "Example:\n  rolekeeper daemon")]
    Daemon,
    /// Check the setup: which config and credentials files are read, their permissions, every
    /// line an AWS reader refuses, the keychain, the notification server, and this machine's
    /// clock against STS (one unsigned request to AWS_ENDPOINT_URL_STS or the region's STS).
    /// Exits 1 when a check fails.
    #[command(after_help = "Example:\n  rolekeeper doctor\n  \
                            AWS_CONFIG_FILE=./config rolekeeper doctor")]
    Doctor,
    /// Keep an IAM user's long-term keys in the OS keychain, as a source for role profiles
    /// (`source_profile = NAME`), instead of in ~/.aws/credentials.
    #[command(
        subcommand,
        after_help = "Example:\n  rolekeeper source add dev --mfa-serial arn:aws:iam::123456789012:mfa/alice\n  \
                      rolekeeper source list"
    )]
    Source(SourceCommand),
    /// Print credentials as the credential_process document the AWS CLI and SDKs read (an
    /// active session is served from the credentials file without calling STS). Never prompts
    /// on stdout or stderr: an MFA code is asked for on the terminal, if there is one.
    #[command(after_help = "Example, in ~/.aws/config:\n  [profile prod]\n  \
                      credential_process = rolekeeper credential-process prodaccess")]
    CredentialProcess(CredentialProcessArgs),
    /// Run a command with a profile's credentials in its environment (AWS_ACCESS_KEY_ID, ...),
    /// or, with --server, served fresh on a loopback endpoint for as long as it runs. Exits with
    /// the command's exit code.
    #[command(after_help = "Example:\n  rolekeeper exec prodaccess -- aws s3 ls\n  \
                            rolekeeper exec prodaccess --server -- python long_job.py")]
    Exec(ExecArgs),
    /// Obtain credentials now (asking for an MFA code if needed): renews an active session in
    /// the credentials file, or checks that a profile works.
    #[command(after_help = "Example:\n  rolekeeper login prodaccess\n  \
                            rolekeeper login prodaccess --mfa-code 123456 --duration 4h")]
    Login(LoginArgs),
    /// Open the AWS console in the browser, signed in as a profile: its role or IAM Identity
    /// Center session as RoleKeeper keeps it (an active session is used as it is), or an IAM
    /// user's keys through GetFederationToken (a console session without MFA context).
    #[command(after_help = "Example:\n  rolekeeper console prodaccess\n  \
                            rolekeeper console prodaccess --service s3\n  \
                            rolekeeper console prodaccess --print --duration 2h\n\n\
                      The browser is the profile's `rolekeeper_console_browser` command (in \
                      ~/.aws/config; %s stands for the URL), else $BROWSER, else the desktop's. \
                      --print prints the sign-in URL on stdout instead: it signs anyone in \
                      who has it, for 15 minutes.")]
    Console(ConsoleArgs),
    /// Sign in to IAM Identity Center (SSO) once for every profile of a session and every AWS
    /// tool: the sign-in is kept fresh while the portal session lasts.
    #[command(
        subcommand,
        after_help = "Example:\n  rolekeeper sso login corp\n  rolekeeper sso login dev --device-code\n  \
                      rolekeeper sso list\n  rolekeeper sso sync corp --dry-run\n  rolekeeper sso logout corp"
    )]
    Sso(SsoCommand),
    /// Print a shell completion script.
    #[command(
        after_help = "Example:\n  rolekeeper completions bash > ~/.local/share/bash-completion/completions/rolekeeper\n  \
                            rolekeeper completions zsh > \"${fpath[1]}/_rolekeeper\"\n  \
                            rolekeeper completions fish > ~/.config/fish/completions/rolekeeper.fish"
    )]
    Completions(CompletionsArgs),
    /// Print the manual page (roff).
    #[command(after_help = "Example:\n  rolekeeper man | man -l -\n  \
                            rolekeeper man > ~/.local/share/man/man1/rolekeeper.1")]
    Man,
}

#[derive(Debug, Args)]
pub struct CredentialProcessArgs {
    /// The RoleKeeper session or profile.
    pub name: String,
    /// For a keychain source: its long-term keys instead of a session token of them.
    #[arg(long)]
    pub long_term_keys: bool,
}

impl CredentialProcessArgs {
    pub fn request(&self) -> CredentialRequest {
        CredentialRequest {
            duration: None,
            long_term_keys: self.long_term_keys,
            ..CredentialRequest::default()
        }
    }
}

#[derive(Debug, Args)]
pub struct ExecArgs {
    /// The RoleKeeper session or profile.
    pub name: String,
    /// Session length for a role, e.g. 3600, 90m, 2h (900 s to 12 h).
    #[arg(long, value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// Serve credentials on a loopback endpoint in the ECS container format
    /// (AWS_CONTAINER_CREDENTIALS_FULL_URI, AWS_CONTAINER_AUTHORIZATION_TOKEN), renewed before
    /// they expire, instead of setting them as variables: for commands that outlive a session.
    #[arg(long)]
    pub server: bool,
    /// For a keychain source: its long-term keys instead of a session token of them.
    #[arg(long)]
    pub long_term_keys: bool,
    /// The command and its arguments (after `--`).
    #[arg(
        required = true,
        trailing_var_arg = true,
        value_name = "CMD",
        num_args = 1..
    )]
    pub command: Vec<std::ffi::OsString>,
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// The RoleKeeper session or profile.
    pub name: String,
    /// The MFA code (six digits), instead of asking for it on the terminal.
    #[arg(long, value_name = "CODE")]
    pub mfa_code: Option<String>,
    /// Session length for a role, e.g. 3600, 90m, 2h (900 s to 12 h).
    #[arg(long, value_parser = parse_duration)]
    pub duration: Option<Duration>,
}

#[derive(Debug, Args)]
pub struct ConsoleArgs {
    /// The profile; defaults to AWS_PROFILE, then `default`.
    pub profile: Option<String>,
    /// Open this console address (https://...) instead of the console home.
    #[arg(long, value_name = "URL", value_parser = parse_destination, conflicts_with = "service")]
    pub destination: Option<rolekeeper_core::console::Destination>,
    /// Open this service's console in the profile's region, e.g. s3, ec2, iam, cloudwatch.
    #[arg(long, value_name = "NAME", value_parser = parse_service)]
    pub service: Option<rolekeeper_core::console::Destination>,
    /// The console session's length, e.g. 3600, 90m, 2h (15 min to 12 h; for an IAM user's
    /// keys up to 36 h, default 1 h). Not sent for a role assumed from another role, whose
    /// console session lasts as its role session does.
    #[arg(long, value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// Print the sign-in URL on stdout instead of opening a browser.
    #[arg(long)]
    pub print: bool,
}

impl ConsoleArgs {
    pub fn request(&self) -> rolekeeper_core::console::ConsoleRequest {
        rolekeeper_core::console::ConsoleRequest {
            destination: self
                .destination
                .clone()
                .or_else(|| self.service.clone())
                .unwrap_or_default(),
            duration: self.duration,
        }
    }
}

fn parse_destination(text: &str) -> Result<rolekeeper_core::console::Destination, String> {
    rolekeeper_core::console::Destination::url(text)
}

fn parse_service(text: &str) -> Result<rolekeeper_core::console::Destination, String> {
    rolekeeper_core::console::Destination::service(text)
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Subcommand)]
pub enum SsoCommand {
    /// Sign in (in the browser; --device-code for a machine without one). A sign-in that is
    /// still good is reused: nothing is asked.
    Login(SsoLoginArgs),
    /// Sign out: ends the portal session, removes the token from ~/.aws/sso/cache and the
    /// refresh token from the keychain, and forgets the role sessions it gave.
    Logout(SsoLogoutArgs),
    /// List the sign-ins the config file names and how each stands.
    List(SsoListArgs),
    /// Write one profile per account and role the sign-in can use into ~/.aws/config (marked as
    /// RoleKeeper's; the user's own profiles are never touched, nor ones edited since).
    Sync(SsoSyncArgs),
}

#[derive(Debug, Args)]
pub struct SsoSyncArgs {
    /// The [sso-session] name (default: the only sign-in the files name).
    pub name: Option<String>,
    /// The profile names: {account_name}, {account_id} and {role_name}, lower-cased and made
    /// safe; a name already taken gets the account id, then a number.
    #[arg(long, default_value = rolekeeper_core::sso::sync::DEFAULT_TEMPLATE)]
    pub template: String,
    /// `region = REGION` in each profile.
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Remove RoleKeeper's profiles whose account or role the sign-in can no longer use.
    #[arg(long)]
    pub prune: bool,
    /// Print the change as a diff; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Ask Identity Center for the accounts and roles again (else the list fetched last is
    /// used).
    #[arg(long)]
    pub refresh: bool,
}

#[derive(Debug, Args)]
pub struct SsoLoginArgs {
    /// An [sso-session] name, or a profile that uses one (default: the only sign-in the files
    /// name).
    pub name: Option<String>,
    /// Sign in with a code shown here, confirmed on any device's browser.
    #[arg(long)]
    pub device_code: bool,
    /// Print the sign-in URL instead of opening a browser.
    #[arg(long)]
    pub no_browser: bool,
    /// Sign in even if a good sign-in is there.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct SsoLogoutArgs {
    /// An [sso-session] name, or a profile that uses one (default: the only sign-in).
    pub name: Option<String>,
}

#[derive(Debug, Args)]
pub struct SsoListArgs {
    /// One JSON array (label, start_url, region, signed_in_until, renewable, profiles).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum SourceCommand {
    /// Store keys in the keychain: asks for the access key id and the secret (not echoed) on
    /// the terminal, or reads them as two lines from stdin when it is not a terminal.
    #[command(
        after_help = "Example:\n  rolekeeper source add dev --mfa-serial arn:aws:iam::123456789012:mfa/alice\n  \
                            printf '%s\\n' \"$KEY_ID\" \"$SECRET\" | rolekeeper source add ci\n\
                            Then, in ~/.aws/config:  source_profile = dev"
    )]
    Add(SourceAddArgs),
    /// List the sources with their MFA device and region (never key material; no unlock needed),
    /// and each key's age and last use as IAM last said (`--keys` asks IAM now).
    #[command(
        after_help = "Example:\n  rolekeeper source list\n  rolekeeper source list --keys\n  \
                            rolekeeper source list --json"
    )]
    List(SourceListArgs),
    /// Delete a source's keys from the keychain and forget it.
    #[command(after_help = "Example:\n  rolekeeper source remove dev")]
    Remove(SourceRemoveArgs),
    /// Move a profile's plain-text keys from ~/.aws/credentials into the keychain (after a 0600
    /// backup); ~/.aws/config then gets `credential_process = rolekeeper credential-process NAME`
    /// so the AWS CLI and SDKs keep working with that profile.
    #[command(after_help = "Example:\n  rolekeeper source import dev\n  \
                            rolekeeper source import default --as me")]
    Import(SourceImportArgs),
    /// Replace a source's access key: create a new one, store it in the keychain, check that it
    /// works, then deactivate and delete the old one. Wherever it stops, the keychain holds a key
    /// that works, and the message says what is left to do.
    #[command(after_help = "Example:\n  rolekeeper source rotate dev\n  \
                            rolekeeper source rotate dev --keep-old   (later: --finish)\n  \
                            rolekeeper source rotate dev --delete-other AKIA…5678")]
    Rotate(SourceRotateArgs),
}

#[derive(Debug, Args)]
pub struct SourceRotateArgs {
    pub name: String,
    /// Deactivate the old key but keep it; `--finish` deletes it later.
    #[arg(long, conflicts_with = "finish")]
    pub keep_old: bool,
    /// Deactivate and delete the key a rotation left behind (kept with --keep-old, or left when
    /// it stopped), instead of rotating.
    #[arg(long)]
    pub finish: bool,
    /// When the IAM user has two keys already: delete this one (its id, or as RoleKeeper shows
    /// it, AKIA…5678) to make room. Without it, a terminal is asked; nothing is deleted unasked.
    #[arg(long, value_name = "KEYID", conflicts_with = "finish")]
    pub delete_other: Option<String>,
    /// The MFA code (six digits) for a source with an MFA device, instead of asking for it.
    #[arg(long, value_name = "CODE")]
    pub mfa_code: Option<String>,
}

#[derive(Debug, Args)]
pub struct SourceImportArgs {
    /// The profile in the credentials file whose keys move.
    pub profile: String,
    /// The source's name in the keychain (default: the profile's name).
    #[arg(long = "as", value_name = "NAME")]
    pub as_name: Option<String>,
}

#[derive(Debug, Args)]
pub struct SourceAddArgs {
    /// The name role profiles use as `source_profile` (replaces a source of the same name).
    pub name: String,
    /// The IAM user's MFA device: an ARN (arn:aws:iam::ACCOUNT:mfa/NAME) or a hardware serial;
    /// roles assumed with these keys ask for its code unless they set their own mfa_serial.
    #[arg(long, value_name = "ARN")]
    pub mfa_serial: Option<String>,
    /// Default region for roles assumed with these keys.
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
}

#[derive(Debug, Args)]
pub struct SourceListArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Ask IAM now for each key's age and last use (ListAccessKeys, GetAccessKeyLastUsed) and keep
    /// the answer; without it, the last answer is shown and nothing is called.
    #[arg(long)]
    pub keys: bool,
    /// The MFA code (six digits) for sources with an MFA device, with --keys.
    #[arg(long, value_name = "CODE", requires = "keys")]
    pub mfa_code: Option<String>,
}

#[derive(Debug, Args)]
pub struct SourceRemoveArgs {
    pub name: String,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The profile; defaults to AWS_PROFILE, then `default`.
    pub profile: Option<String>,
    /// Output format: all but json are the same bytes as `aws configure export-credentials`.
    #[arg(long, value_enum, default_value_t = Format::Env)]
    pub format: Format,
    /// Session length for a role, e.g. 3600, 90m, 2h (900 s to 12 h).
    #[arg(long, value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// For a keychain source: its long-term keys instead of a session token of them.
    #[arg(long)]
    pub long_term_keys: bool,
}

impl ExportArgs {
    pub fn request(&self) -> CredentialRequest {
        CredentialRequest {
            duration: self.duration,
            long_term_keys: self.long_term_keys,
            ..CredentialRequest::default()
        }
    }
}

impl ExecArgs {
    pub fn request(&self) -> CredentialRequest {
        CredentialRequest {
            duration: self.duration,
            long_term_keys: self.long_term_keys,
            ..CredentialRequest::default()
        }
    }
}

#[derive(Debug, Args)]
pub struct ActivateArgs {
    /// Sessions to activate, named after the profiles they are delivered as.
    #[arg(required = true)]
    pub names: Vec<String>,
    /// Session length for a role, e.g. 3600, 90m, 2h (900 s to 12 h).
    #[arg(long, value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// Take over a section RoleKeeper did not write, or one edited since (a backup is kept).
    #[arg(long)]
    pub force: bool,
    /// Leave a role profile of the same name in ~/.aws/config as it is (the AWS tools will then
    /// keep assuming the role themselves and ignore RoleKeeper's credentials: "shadowed").
    #[arg(long)]
    pub no_adopt: bool,
    /// How the AWS tools get the session: `file` (a section of the credentials file) or
    /// `process` (`credential_process = rolekeeper credential-process NAME` in ~/.aws/config;
    /// no secret in any file). Default: the session's earlier choice, else `file`.
    #[arg(long, value_parser = parse_delivery)]
    pub delivery: Option<Delivery>,
    /// Go back to the profile's own duration_seconds (a --duration given earlier is kept for
    /// every renewal until then).
    #[arg(long, conflicts_with = "duration")]
    pub profile_duration: bool,
    /// The MFA code (six digits), instead of asking for it on the terminal or, with no terminal,
    /// in the running tray app's dialog.
    #[arg(long, value_name = "CODE")]
    pub mfa_code: Option<String>,
}

fn parse_delivery(text: &str) -> Result<Delivery, String> {
    text.parse()
}

#[derive(Debug, Args)]
pub struct DeactivateArgs {
    #[arg(required = true)]
    pub names: Vec<String>,
    /// Remove RoleKeeper's section even if someone edited it since.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    /// `export AWS_ACCESS_KEY_ID=...` lines for POSIX shells.
    Env,
    /// `AWS_ACCESS_KEY_ID=...` lines (for .env files and `env`).
    EnvNoExport,
    /// `$Env:AWS_ACCESS_KEY_ID="..."` lines.
    Powershell,
    /// `set AWS_ACCESS_KEY_ID=...` lines.
    WindowsCmd,
    /// The credential_process document (Version 1).
    Process,
    /// A JSON object for scripts: Profile, AccessKeyId, SecretAccessKey, then SessionToken and
    /// Expiration when the credentials have them (absent, not null).
    Json,
}

impl From<Format> for ExportFormat {
    fn from(f: Format) -> Self {
        match f {
            Format::Env => ExportFormat::Env,
            Format::EnvNoExport => ExportFormat::EnvNoExport,
            Format::Powershell => ExportFormat::Powershell,
            Format::WindowsCmd => ExportFormat::WindowsCmd,
            Format::Process => ExportFormat::Process,
            Format::Json => ExportFormat::Json,
        }
    }
}

/// `3600`, `3600s`, `90m`, `2h`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (digits, unit) = match text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((at, _)) => text.split_at(at),
        None => (text, "s"),
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("`{text}` is not a duration like 3600, 90m or 2h"))?;
    let seconds = match unit {
        "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        _ => return Err(format!("`{text}`: unit must be s, m or h")),
    };
    Ok(Duration::from_secs(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("3600"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("90m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert!(parse_duration("2d").is_err());
        assert!(parse_duration("h").is_err());
    }

    #[test]
    fn grammar_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
