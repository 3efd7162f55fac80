use std::collections::BTreeSet;
use std::time::Duration;

use super::*;
use crate::env::MapEnv;
use crate::profile::{parse, FileKind, ProfileSet};
use crate::resolve::resolve_with_sources;

/// The query of `url` as (key, decoded value) pairs.
fn query(url: &str) -> Vec<(String, String)> {
    Url::parse(url)
        .expect("URL")
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn value<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn session() -> Credentials {
    Credentials {
        access_key_id: "ASIAEXAMPLE".to_owned(),
        secret_access_key: Secret::new("sec/ret+key="),
        session_token: Some(Secret::new("to&ken=1")),
        expiration: None,
    }
}

const CONFIG: &str = "\
[profile keys]
aws_access_key_id = AKIAKEYS
aws_secret_access_key = s
[profile temp]
aws_access_key_id = ASIATEMP
aws_secret_access_key = s
aws_session_token = t
[profile role]
role_arn = arn:aws:iam::123456789012:role/R
source_profile = keys
region = eu-west-1
[profile chained]
role_arn = arn:aws:iam::123456789012:role/C
source_profile = role
[profile from-temp]
role_arn = arn:aws:iam::123456789012:role/T
source_profile = temp
[profile gov]
role_arn = arn:aws-us-gov:iam::123456789012:role/G
source_profile = keys
[profile cn]
role_arn = arn:aws-cn:iam::123456789012:role/Cn
source_profile = keys
region = cn-northwest-1
[profile from-source]
role_arn = arn:aws:iam::123456789012:role/S
source_profile = vault
[profile sso]
sso_start_url = https://d-1.awsapps.com/start
sso_region = us-east-1
sso_account_id = 111111111111
sso_role_name = Admin
region = us-gov-east-1
[profile from-sso]
role_arn = arn:aws:iam::123456789012:role/FromSso
source_profile = sso
[profile process]
credential_process = /bin/false
[profile sso-cn]
sso_start_url = https://d-2.awsapps.cn/start
sso_region = cn-north-1
sso_account_id = 111111111111
sso_role_name = Admin
";

fn plan(name: &str) -> Plan {
    let config = parse(std::path::Path::new("/c"), FileKind::Config, CONFIG).expect("config");
    let credentials = parse(std::path::Path::new("/k"), FileKind::Credentials, "").expect("creds");
    let set = ProfileSet::merge(&config, &credentials);
    let sources: BTreeSet<String> = ["vault".to_owned()].into();
    resolve_with_sources(&set, name, &sources).expect("plan")
}

#[test]
fn what_each_kind_of_profile_signs_in_with() {
    let session = |chained| Ok(ConsoleKind::Session { chained });
    for (profile, kind) in [
        ("role", session(false)),
        ("from-source", session(false)),
        ("sso", session(false)),
        ("chained", session(true)),
        ("from-sso", session(true)),
        ("from-temp", session(true)),
        ("keys", Ok(ConsoleKind::IamUser)),
        ("vault", Ok(ConsoleKind::IamUser)),
    ] {
        assert_eq!(console_kind(&plan(profile)), kind, "{profile}");
    }
    for refused in ["temp", "process"] {
        assert!(console_kind(&plan(refused)).is_err(), "{refused}");
    }
}

#[test]
fn the_partition_comes_from_the_role_arn_then_the_region() {
    for (profile, region, partition) in [
        ("role", "eu-west-1", Partition::Aws),
        ("gov", "us-east-1", Partition::AwsUsGov),
        ("cn", "cn-northwest-1", Partition::AwsCn),
        ("sso", "us-gov-east-1", Partition::AwsUsGov),
        ("keys", "cn-north-1", Partition::AwsCn),
        ("keys", "eu-central-1", Partition::Aws),
    ] {
        assert_eq!(partition_of(&plan(profile), region), partition, "{profile}");
    }
    assert_eq!(Partition::of_arn("arn:aws"), Some(Partition::Aws));
    assert_eq!(Partition::of_arn("arn:aws-iso:iam::1:role/x"), None);
    assert_eq!(Partition::of_arn("not-an-arn"), None);
}

#[test]
fn the_region_is_the_profiles_then_the_environments() {
    let env = MapEnv::default().with("AWS_DEFAULT_REGION", "ap-south-1");
    assert_eq!(region_of(&plan("role"), &env).as_deref(), Some("eu-west-1"));
    assert_eq!(
        region_of(&plan("keys"), &env).as_deref(),
        Some("ap-south-1")
    );
    let env = env.with("AWS_REGION", "sa-east-1");
    assert_eq!(region_of(&plan("keys"), &env).as_deref(), Some("sa-east-1"));
    assert_eq!(region_of(&plan("keys"), &MapEnv::default()), None);
    // An Identity Center role with no region anywhere: its sign-in's.
    let sso = plan("sso-cn");
    let region = region_of(&sso, &MapEnv::default());
    assert_eq!(region.as_deref(), Some("cn-north-1"));
    assert_eq!(partition_of(&sso, "cn-north-1"), Partition::AwsCn);
}

#[test]
fn destinations_per_partition() {
    let s3 = Destination::service("s3").expect("s3");
    let given = Destination::url("https://console.aws.amazon.com/iam/home#/roles").expect("url");
    for (destination, partition, region, expected) in [
        (
            &Destination::Home,
            Partition::Aws,
            "eu-west-1",
            "https://console.aws.amazon.com/console/home?region=eu-west-1",
        ),
        (
            &Destination::Home,
            Partition::AwsUsGov,
            "us-gov-west-1",
            "https://console.amazonaws-us-gov.com/console/home?region=us-gov-west-1",
        ),
        (
            &Destination::Home,
            Partition::AwsCn,
            "cn-north-1",
            "https://console.amazonaws.cn/console/home?region=cn-north-1",
        ),
        (
            &s3,
            Partition::Aws,
            "us-east-1",
            "https://console.aws.amazon.com/s3/home?region=us-east-1",
        ),
        (
            &s3,
            Partition::AwsCn,
            "cn-north-1",
            "https://console.amazonaws.cn/s3/home?region=cn-north-1",
        ),
        (
            &given,
            Partition::AwsCn,
            "cn-north-1",
            "https://console.aws.amazon.com/iam/home#/roles",
        ),
    ] {
        assert_eq!(destination.resolve(partition, region), expected);
    }
    for bad in ["", "S3", "s3/../iam", "s3?x=1", "ec 2"] {
        assert!(Destination::service(bad).is_err(), "{bad:?}");
    }
    for bad in [
        "console.aws.amazon.com",
        "http://console.aws.amazon.com/",
        "javascript:x",
    ] {
        assert!(Destination::url(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn endpoints_per_partition_and_the_override() {
    let none = MapEnv::default();
    for (partition, expected) in [
        (Partition::Aws, "https://signin.aws.amazon.com/federation"),
        (
            Partition::AwsUsGov,
            "https://signin.amazonaws-us-gov.com/federation",
        ),
        (Partition::AwsCn, "https://signin.amazonaws.cn/federation"),
    ] {
        assert_eq!(federation_endpoint(&none, partition), expected);
    }
    for (set, expected) in [
        ("http://127.0.0.1:8123", "http://127.0.0.1:8123/federation"),
        ("http://127.0.0.1:8123/", "http://127.0.0.1:8123/federation"),
        (
            "http://127.0.0.1:8123/federation",
            "http://127.0.0.1:8123/federation",
        ),
    ] {
        let env = MapEnv::default().with(SIGNIN_ENDPOINT_VAR, set);
        assert_eq!(federation_endpoint(&env, Partition::AwsCn), expected);
    }
}

#[test]
fn the_token_request_carries_the_session_and_a_length_only_when_allowed() {
    let endpoint = "https://signin.aws.amazon.com/federation";
    let hour = Some(Duration::from_secs(3600));
    for (kind, asked, sent, noted) in [
        (ConsoleKind::Session { chained: false }, None, None, false),
        (ConsoleKind::Session { chained: false }, hour, hour, false),
        (ConsoleKind::Session { chained: true }, None, None, false),
        (ConsoleKind::Session { chained: true }, hour, None, true),
        (ConsoleKind::IamUser, hour, None, false),
    ] {
        let (duration, note) = session_duration(kind, asked);
        assert_eq!(duration, sent, "{kind:?} {asked:?}");
        assert_eq!(note.is_some(), noted, "{kind:?} {asked:?}");
        let url = token_request_url(endpoint, &session(), duration).expect("url");
        assert!(url.expose().starts_with(endpoint));
        let pairs = query(url.expose());
        assert_eq!(value(&pairs, "Action"), Some("getSigninToken"));
        assert_eq!(value(&pairs, "SessionDuration"), sent.map(|_| "3600"));
        let json: serde_json::Value =
            serde_json::from_str(value(&pairs, "Session").expect("Session")).expect("JSON");
        assert_eq!(
            json,
            serde_json::json!({
                "sessionId": "ASIAEXAMPLE",
                "sessionKey": "sec/ret+key=",
                "sessionToken": "to&ken=1",
            })
        );
        // Percent-encoded: no raw `&` or `+` of the values splits the query.
        assert!(!url.expose().contains("to&ken"));
        assert_eq!(format!("{url:?}"), "<redacted>");
    }
    let mut keys = session();
    keys.session_token = None;
    assert!(token_request_url(endpoint, &keys, None).is_err());
}

#[test]
fn the_login_url_opens_the_destination_with_the_token() {
    for (partition, region) in [
        (Partition::Aws, "eu-west-1"),
        (Partition::AwsUsGov, "us-gov-west-1"),
        (Partition::AwsCn, "cn-north-1"),
    ] {
        let endpoint = federation_endpoint(&MapEnv::default(), partition);
        let destination = Destination::Home.resolve(partition, region);
        let url = login_url(&endpoint, &destination, &Secret::new("tok-1/+=")).expect("url");
        assert!(url
            .expose()
            .starts_with(&format!("{endpoint}?Action=login&")));
        let pairs = query(url.expose());
        assert_eq!(value(&pairs, "Action"), Some("login"));
        assert_eq!(value(&pairs, "SigninToken"), Some("tok-1/+="));
        assert_eq!(value(&pairs, "Destination"), Some(destination.as_str()));
        assert!(url.expose().contains("Destination=https%3A%2F%2Fconsole."));
    }
}

#[test]
fn durations_are_checked_by_kind() {
    let session = ConsoleKind::Session { chained: false };
    for (kind, seconds, ok) in [
        (session, 899, false),
        (session, 900, true),
        (session, 43_200, true),
        (session, 43_201, false),
        (ConsoleKind::IamUser, 900, true),
        (ConsoleKind::IamUser, 129_600, true),
        (ConsoleKind::IamUser, 129_601, false),
    ] {
        let got = validate_duration(kind, Duration::from_secs(seconds));
        assert_eq!(got.is_ok(), ok, "{kind:?} {seconds}");
    }
}

#[test]
fn federated_user_names_fit_sts() {
    for (profile, name) in [
        ("dev", "dev"),
        ("team/prod admin", "team-prod-admin"),
        ("a", "rolekeeper"),
        ("ünï", "-n-"),
        (
            "a-very-long-profile-name-for-the-console",
            "a-very-long-profile-name-for-the",
        ),
    ] {
        assert_eq!(federated_user_name(profile), name, "{profile}");
        assert!(federated_user_name(profile).len() <= 32);
    }
}
