//! The OAuth 2.0 client (RFC 6749 §4.4) that fetches the SCIM token, for `run` and `sweep`.
//! Secrets are named by variable or file, never given as values.

use std::path::PathBuf;

use clap::Args;

use super::args::CREDENTIALS;
use crate::config::FileConfig;
use crate::exec::oauth::ClientAuth;

#[derive(Args, Default)]
pub struct OAuthArgs {
    /// An OAuth 2.0 token endpoint: the SCIM token is fetched there with the client-credentials
    /// grant, and fetched again before it expires, instead of read from --token-env. https
    /// unless loopback [default: oauth-token-url in scimcheck.toml].
    #[arg(long, value_name = "URL", help_heading = CREDENTIALS)]
    pub oauth_token_url: Option<String>,
    /// The OAuth client id [default: oauth-client-id in scimcheck.toml].
    #[arg(long, value_name = "ID", help_heading = CREDENTIALS)]
    pub oauth_client_id: Option<String>,
    /// Environment variable holding the OAuth client secret.
    #[arg(long, value_name = "VAR", help_heading = CREDENTIALS)]
    pub oauth_client_secret_env: Option<String>,
    /// File holding the OAuth client secret.
    #[arg(
        long,
        value_name = "PATH",
        conflicts_with = "oauth_client_secret_env",
        help_heading = CREDENTIALS
    )]
    pub oauth_client_secret_file: Option<PathBuf>,
    /// The scope to ask the token endpoint for.
    #[arg(long, value_name = "SCOPE", help_heading = CREDENTIALS)]
    pub oauth_scope: Option<String>,
    /// The audience to ask the token endpoint for (Auth0, Okta custom authorization servers).
    #[arg(long, value_name = "AUDIENCE", help_heading = CREDENTIALS)]
    pub oauth_audience: Option<String>,
    /// How the client authenticates to the token endpoint: basic (client_secret_basic) or post
    /// (client_secret_post) [default: basic].
    #[arg(long, value_enum, value_name = "METHOD", help_heading = CREDENTIALS)]
    pub oauth_client_auth: Option<ClientAuth>,
}

impl OAuthArgs {
    /// Fills what the flags leave open from `scimcheck.toml`; a flag wins.
    pub fn or_file(&mut self, file: &FileConfig) {
        let or = |flag: &mut Option<String>, value: &Option<String>| {
            if flag.is_none() {
                flag.clone_from(value);
            }
        };
        or(&mut self.oauth_token_url, &file.oauth_token_url);
        or(&mut self.oauth_client_id, &file.oauth_client_id);
        or(&mut self.oauth_scope, &file.oauth_scope);
        or(&mut self.oauth_audience, &file.oauth_audience);
        if self.oauth_client_secret_env.is_none() && self.oauth_client_secret_file.is_none() {
            self.oauth_client_secret_env
                .clone_from(&file.oauth_client_secret_env);
            self.oauth_client_secret_file
                .clone_from(&file.oauth_client_secret_file);
        }
        self.oauth_client_auth = self.oauth_client_auth.or(file.oauth_client_auth);
    }
}
