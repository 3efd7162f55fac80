//! The cross-SDK profile-file corpora (vendored, with their license, in `tests/data/conformance/`):
//! RoleKeeper must read `~/.aws/config` and `~/.aws/credentials` exactly as the AWS SDKs do.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::Path;

use rolekeeper_core::env::MapEnv;
use rolekeeper_core::files::FileLocations;
use rolekeeper_core::profile::{parse, skipped_sections, FileKind, ProfileSet, SectionKind};
use serde_json::Value;

fn corpus(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/conformance")
        .join(name);
    serde_json::from_slice(&std::fs::read(&path).expect("corpus file")).expect("corpus JSON")
}

type Profiles = BTreeMap<String, BTreeMap<String, String>>;

/// Parse both files of a case; `Err` carries the first parse error.
fn read(config: &str, credentials: &str) -> Result<(Profiles, Profiles), String> {
    let config = parse(Path::new("config"), FileKind::Config, config).map_err(|e| e.to_string())?;
    let credentials = parse(Path::new("credentials"), FileKind::Credentials, credentials)
        .map_err(|e| e.to_string())?;
    let set = ProfileSet::merge(&config, &credentials);
    let profiles = set
        .profiles()
        .map(|p| {
            let values = p
                .keys()
                .map(|k| (k.to_owned(), p.get(k).expect("key").text.clone()))
                .collect();
            (p.name.clone(), values)
        })
        .collect();
    let mut sso = Profiles::new();
    for section in config
        .sections
        .iter()
        .filter(|s| s.kind == SectionKind::SsoSession)
    {
        let entry = sso.entry(section.name.clone()).or_default();
        for property in &section.properties {
            entry.insert(property.key.clone(), property.value.clone());
        }
    }
    Ok((profiles, sso))
}

fn as_profiles(value: Option<&Value>) -> Profiles {
    let Some(Value::Object(map)) = value else {
        return Profiles::new();
    };
    map.iter()
        .map(|(name, props)| {
            let props = props
                .as_object()
                .expect("properties object")
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().expect("string value").to_owned()))
                .collect();
            (name.clone(), props)
        })
        .collect()
}

#[test]
fn profile_parser_corpus() {
    let data = corpus("profile-parser-tests.json");
    let tests = data["tests"].as_array().expect("tests");
    // Where botocore reads more than the specification, RoleKeeper follows botocore.
    let names = profile_names();
    let deviations: BTreeMap<&str, Profiles> = names["corpusDeviations"]
        .as_array()
        .expect("corpusDeviations")
        .iter()
        .map(|d| {
            let name = d["name"].as_str().expect("name");
            (name, as_profiles(d.get("profiles")))
        })
        .collect();
    let mut deviated = 0;
    let (mut results, mut errors) = (0, 0);
    let mut failures = Vec::new();
    for case in tests {
        let name = case["name"].as_str().expect("name");
        let config = case["input"]["configFile"].as_str().unwrap_or("");
        let credentials = case["input"]["credentialsFile"].as_str().unwrap_or("");
        let got = read(config, credentials);
        let output = &case["output"];
        if output.get("errorContaining").is_some() {
            errors += 1;
            // The corpus's messages are the Rust SDK's words: only failure is required.
            if got.is_ok() {
                failures.push(format!("{name}: expected an error, parsed fine"));
            }
            continue;
        }
        results += 1;
        let want_profiles = match deviations.get(name) {
            Some(botocore) => {
                deviated += 1;
                botocore.clone()
            }
            None => as_profiles(output["config"].get("profiles")),
        };
        let want_sso = as_profiles(output["config"].get("sso_sessions"));
        match got {
            Err(e) => failures.push(format!("{name}: unexpected error {e}")),
            Ok((profiles, sso)) => {
                if profiles != want_profiles {
                    failures.push(format!(
                        "{name}: profiles {profiles:?} != {want_profiles:?}"
                    ));
                }
                if output["config"].get("sso_sessions").is_some() && sso != want_sso {
                    failures.push(format!("{name}: sso_sessions {sso:?} != {want_sso:?}"));
                }
            }
        }
    }
    assert_eq!((results, errors), (55, 10), "the corpus changed size");
    assert_eq!(
        deviated,
        deviations.len(),
        "a deviation names no corpus case"
    );
    assert!(
        failures.is_empty(),
        "{} of 65 cases fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn profile_names() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/profile-names.json");
    serde_json::from_slice(&std::fs::read(&path).expect("profile-names.json")).expect("JSON")
}

/// Quoted and non-ASCII profile names, read as botocore reads them (`tests/data/profile-names.json`,
/// whose expectations tests/tests/credentials_file.rs checks against botocore itself), and the
/// headers that name no profile reported with their lines.
#[test]
fn profile_names_as_botocore_reads_them() {
    let data = profile_names();
    let cases = data["tests"].as_array().expect("tests");
    let mut failures = Vec::new();
    for case in cases {
        let name = case["name"].as_str().expect("name");
        let config = case["input"]["configFile"].as_str().unwrap_or("");
        let credentials = case["input"]["credentialsFile"].as_str().unwrap_or("");
        let want = as_profiles(case.get("profiles"));
        match read(config, credentials) {
            Ok((profiles, _)) if profiles == want => {}
            Ok((profiles, _)) => failures.push(format!("{name}: {profiles:?} != {want:?}")),
            Err(e) => failures.push(format!("{name}: unexpected error {e}")),
        }
        let mut skipped = Vec::new();
        for (label, kind, text) in [
            ("config", FileKind::Config, config),
            ("credentials", FileKind::Credentials, credentials),
        ] {
            let parsed = parse(Path::new(label), kind, text).expect("parses");
            skipped.extend(
                skipped_sections(&parsed)
                    .iter()
                    .map(|q| serde_json::json!([label, q.line])),
            );
        }
        if Value::Array(skipped.clone()) != case["skipped"] {
            failures.push(format!(
                "{name}: skipped {skipped:?} != {}",
                case["skipped"]
            ));
        }
    }
    assert!(cases.len() >= 9, "cases went missing");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn file_location_corpus_linux_cases() {
    let data = corpus("file-location-tests.json");
    let mut checked = 0;
    for case in data["tests"].as_array().expect("tests") {
        // Windows path rules (backslashes, HOMEDRIVE) are checked on Windows builds only.
        if case["platform"] != "linux" {
            continue;
        }
        let mut env = MapEnv::default();
        for (k, v) in case["environment"].as_object().expect("environment") {
            env = env.with(k, v.as_str().expect("string"));
        }
        let locations = FileLocations::from_env(&env);
        let name = case["name"].as_str().expect("name");
        assert_eq!(
            locations.config,
            Path::new(case["configLocation"].as_str().expect("config")),
            "{name}"
        );
        assert_eq!(
            locations.credentials,
            Path::new(case["credentialsLocation"].as_str().expect("credentials")),
            "{name}"
        );
        checked += 1;
    }
    assert_eq!(checked, 4);
}

/// Turn a corpus case's profiles into config-file text.
fn config_text(input: &Value) -> String {
    let mut text = String::new();
    for (name, props) in input["profiles"].as_object().expect("profiles") {
        text.push_str(&format!("[profile {name}]\n"));
        for (k, v) in props.as_object().expect("properties") {
            text.push_str(&format!("{k} = {}\n", v.as_str().expect("string")));
        }
    }
    if let Some(Value::Object(sessions)) = input.get("sso_sessions") {
        for (name, props) in sessions {
            text.push_str(&format!("[sso-session {name}]\n"));
            for (k, v) in props.as_object().expect("properties") {
                text.push_str(&format!("{k} = {}\n", v.as_str().expect("string")));
            }
        }
    }
    text
}

/// A plan in the corpus's `ProfileChain` shape.
fn chain_json(plan: &rolekeeper_core::resolve::Plan) -> Value {
    use rolekeeper_core::resolve::Base;
    let mut chain = Vec::new();
    let base = match &plan.base {
        Base::Keys(keys) => {
            let mut m = serde_json::Map::new();
            m.insert("access_key_id".into(), keys.access_key_id.clone().into());
            m.insert(
                "secret_access_key".into(),
                keys.secret_access_key.expose().into(),
            );
            if let Some(account) = &keys.account_id {
                m.insert("account_id".into(), account.clone().into());
            }
            serde_json::json!({ "AccessKey": m })
        }
        Base::NamedSource { source, .. } => serde_json::json!({ "NamedSource": source }),
        Base::WebIdentity {
            role_arn,
            token_file,
            session_name,
            ..
        } => {
            let mut m = serde_json::Map::new();
            m.insert("role_arn".into(), role_arn.clone().into());
            m.insert("web_identity_token_file".into(), token_file.clone().into());
            if let Some(name) = session_name {
                m.insert("role_session_name".into(), name.clone().into());
            }
            serde_json::json!({ "WebIdentityToken": m })
        }
        Base::Sso { role, .. } => {
            let mut m = serde_json::Map::new();
            if let Some(name) = &role.session.name {
                m.insert("sso_session".into(), name.clone().into());
            }
            m.insert("sso_account_id".into(), role.account_id.clone().into());
            m.insert("sso_region".into(), role.session.region.clone().into());
            m.insert("sso_role_name".into(), role.role_name.clone().into());
            m.insert(
                "sso_start_url".into(),
                role.session.start_url.clone().into(),
            );
            serde_json::json!({ "Sso": m })
        }
        Base::Process { command, .. } => serde_json::json!({ "CredentialProcess": command }),
        // The corpus knows no keychain; `resolve` is given no sources.
        Base::KeychainSource { name, .. } => serde_json::json!({ "KeychainSource": name }),
    };
    chain.push(base);
    for role in &plan.roles {
        let mut m = serde_json::Map::new();
        m.insert("role_arn".into(), role.role_arn.clone().into());
        if let Some(id) = &role.external_id {
            m.insert("external_id".into(), id.clone().into());
        }
        if let Some(name) = &role.session_name {
            m.insert("role_session_name".into(), name.clone().into());
        }
        chain.push(serde_json::json!({ "AssumeRole": m }));
    }
    Value::Array(chain)
}

#[test]
fn assume_role_corpus() {
    // The corpus uses 9-digit account ids, which RoleKeeper rejects up front (a real account id
    // has 12 digits; `resolve::validate_role_arn` is tested on its own). Pad them to 12 digits
    // in input and output alike; nothing else about a case changes.
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/conformance/assume-role-tests.json"),
    )
    .expect("corpus")
    .replace("::123456789:role/", "::123456789000:role/");
    let cases: Value = serde_json::from_str(&text).expect("JSON");
    let mut failures = Vec::new();
    let cases = cases.as_array().expect("cases");
    for case in cases {
        let docs = case["docs"].as_str().expect("docs");
        let input = &case["input"];
        let config = parse(Path::new("config"), FileKind::Config, &config_text(input))
            .expect("generated config parses");
        let credentials =
            parse(Path::new("credentials"), FileKind::Credentials, "").expect("empty");
        let set = ProfileSet::merge(&config, &credentials);
        let selected = input["selected_profile"]
            .as_str()
            .expect("selected_profile");
        let got = rolekeeper_core::resolve::resolve(&set, selected);
        // Where the Rust SDK and botocore part ways, RoleKeeper reads SSO settings as botocore
        // does: a profile with only `sso_session` names a sign-in, not a role (botocore's SSO
        // provider needs sso_account_id or sso_role_name), so it has no credentials.
        if let Some(why) = BOTOCORE_RULES
            .iter()
            .find(|(d, _)| *d == docs)
            .map(|(_, w)| w)
        {
            match got {
                Err(rolekeeper_core::Error::NoCredentials { .. }) => {}
                other => failures.push(format!(
                    "{docs} ({why}): got {:?}",
                    other.map(|p| chain_json(&p))
                )),
            }
            continue;
        }
        match (&case["output"].get("ProfileChain"), got) {
            (Some(want), Ok(plan)) => {
                let chain = chain_json(&plan);
                if &&chain != want {
                    failures.push(format!("{docs}: chain {chain} != {want}"));
                }
            }
            (Some(_), Err(e)) => failures.push(format!("{docs}: unexpected error: {e}")),
            (None, Ok(plan)) => failures.push(format!(
                "{docs}: expected an error, got {}",
                chain_json(&plan)
            )),
            (None, Err(e)) => {
                // The corpus's messages are the Rust SDK's words; check the kind of failure.
                let want = case["output"]["Error"].as_str().expect("Error");
                if !same_failure(want, &e) {
                    failures.push(format!("{docs}: expected `{want}`, got: {e}"));
                }
            }
        }
    }
    assert_eq!(cases.len(), 28, "the corpus changed size");
    assert!(
        failures.is_empty(),
        "{} of 28 cases fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Cases where botocore's rules (which RoleKeeper follows) differ from the Rust SDK's corpus.
const BOTOCORE_RULES: &[(&str, &str)] = &[
    (
        "SSO token profile selected",
        "only sso_session: botocore has no credentials for it",
    ),
    (
        "invalid SSO token configuration: sso_region must be in sso-session",
        "no sso_account_id or sso_role_name: not an SSO role profile in botocore",
    ),
    (
        "invalid SSO token configuration: sso-session not found",
        "no sso_account_id or sso_role_name: botocore never looks the session up",
    ),
];

/// Whether our error is the failure the corpus's (Rust SDK) message describes.
fn same_failure(corpus_message: &str, error: &rolekeeper_core::Error) -> bool {
    use rolekeeper_core::Error as E;
    let m = corpus_message;
    match error {
        E::RoleWithoutSource { .. } => m.contains("must contain `source_profile`"),
        E::AmbiguousSource { .. } => m.contains("both source_profile and credential_source"),
        E::PartialKeys { missing, .. } => m.contains(&format!("missing {missing}")),
        E::NoCredentials { .. } => m.contains("did not contain credential information"),
        E::MissingSourceProfile { .. } => m.contains("could not find source profile"),
        E::ProfileNotFound { .. } => m.contains("No profiles were defined"),
        E::SourceProfileLoop { .. } => m.contains("infinite loop"),
        E::SsoSettings { why, .. } => {
            m.contains("must also be set") && why.contains("missing required configuration")
        }
        E::InvalidSetting { key, .. } => match *key {
            "web_identity_token_file" => m.contains("`role_arn` was missing"),
            "sso_account_id" => m.contains("then `sso_role_name` must also be set"),
            "sso_role_name" => m.contains("then `sso_account_id` must also be set"),
            "sso_region" => m.contains("`sso_region` can only be specified"),
            "sso_session" => m.contains("sso-session named"),
            _ => false,
        },
        _ => false,
    }
}
