//! SIGHUP's part for TLS: re-reading the certificate and key the config names, for the handshakes
//! to come. Connections already open keep the certificate they were made with; a pair that cannot
//! be used is reported (log, status line) and the one in force stays. Reading and checking the
//! files is `http::tls`'s job.

use super::status::Status;
use crate::config;
use crate::http::Tls;

/// Reloads `tls` (the server's, `None` when it serves plain HTTP) from the files `server` names.
pub(super) fn reload(tls: Option<&Tls>, server: &config::Server, status: &mut Status) {
    match (tls, &server.tls) {
        (Some(tls), Some(files)) => match tls.reload(files) {
            Ok(()) => {
                tracing::info!("TLS certificate reloaded from {}", files.cert.display());
                status.tls_read(Ok(()));
            }
            Err(error) => {
                tracing::error!("{error}; keeping the previous TLS certificate");
                status.tls_read(Err(error.to_string()));
            }
        },
        (Some(_), None) => tracing::warn!(
            "`[server] tls_cert` and `tls_key` were removed; feedd serves HTTPS until it restarts"
        ),
        (None, Some(_)) => tracing::warn!(
            "`[server] tls_cert` and `tls_key` take effect when feedd restarts; serving plain HTTP"
        ),
        (None, None) => {}
    }
}
