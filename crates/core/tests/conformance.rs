//! The cross-SDK profile-file corpora (vendored, with their license, in `tests/data/conformance/`):
//! RoleKeeper must read `~/.aws/config` and `~/.aws/credentials` exactly as the AWS SDKs do.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::Path;

use rolekeeper_core::env::MapEnv;
use rolekeeper_core::files::FileLocations;
use rolekeeper_core::profile::{parse, FileKind, ProfileSet, SectionKind};
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
        let want_profiles = as_profiles(output["config"].get("profiles"));
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
    assert!(
        failures.is_empty(),
        "{} of 65 cases fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
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
