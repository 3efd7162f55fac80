//! Hundreds of profiles, as `sso sync` writes them for a large organisation: accounts
//! `acme-000` to `acme-099`, three roles each (`acme-042-readonly`). The first accounts are
//! roles assumed from the environment's keys (`credential_source = Environment`, so no source
//! profile adds to the count), the others IAM Identity Center roles of the `acme` sign-in.

/// Each account's roles, as IAM names them.
pub const ROLES: [&str; 3] = ["Admin", "Developer", "ReadOnly"];

/// The keys a role profile starts from, to pass as the environment of whatever activates one
/// (moto takes any).
pub const ENV_KEYS: [(&str, &str); 2] = [
    ("AWS_ACCESS_KEY_ID", "AKIAMANYPROFILES0001"),
    (
        "AWS_SECRET_ACCESS_KEY",
        "manyProfilesTestSecret000000000000000000",
    ),
];

/// Account `k`'s id: twelve digits, none a part of another's.
pub fn account(k: usize) -> String {
    format!("{}", 111_100_000_000 + k * 1013)
}

/// The profile of account `k`'s role `role`: `acme-042-readonly`.
pub fn profile(k: usize, role: &str) -> String {
    format!("acme-{k:03}-{}", role.to_lowercase())
}

/// `~/.aws/config` with `accounts` × 3 profiles; accounts from `sso_from` on are IAM Identity
/// Center roles.
pub fn config(accounts: usize, sso_from: usize) -> String {
    let mut config = String::from(
        "[sso-session acme]\nsso_start_url = https://acme.awsapps.com/start\nsso_region = \
         us-east-1\n",
    );
    for k in 0..accounts {
        for role in ROLES {
            config.push_str(&format!("\n[profile {}]\n", profile(k, role)));
            if k < sso_from {
                config.push_str(&format!(
                    "role_arn = arn:aws:iam::{}:role/{role}\ncredential_source = Environment\n",
                    account(k)
                ));
            } else {
                config.push_str(&format!(
                    "sso_session = acme\nsso_account_id = {}\nsso_role_name = {role}\n",
                    account(k)
                ));
            }
            config.push_str("region = us-east-1\n");
        }
    }
    config
}

#[cfg(test)]
mod tests {
    #[test]
    fn account_ids_are_distinct_and_none_is_part_of_another() {
        let ids: Vec<String> = (0..100).map(super::account).collect();
        for (i, a) in ids.iter().enumerate() {
            assert_eq!(a.len(), 12);
            for b in &ids[i + 1..] {
                assert!(
                    !a.contains(b.as_str()) && !b.contains(a.as_str()),
                    "{a} {b}"
                );
            }
        }
    }
}
