//! Who a request comes from: the connection's peer, or the client behind a trusted reverse
//! proxy (`policy::client`). Every per-client limit keys on [`Client::key`].

use crate::error::ApiError;
use crate::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use std::net::{IpAddr, SocketAddr};

/// The header in which reverse proxies name the client they forward.
const FORWARDED_FOR: &str = "x-forwarded-for";

/// The client of a request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Client {
    /// The client's address: the peer's, or the one a trusted proxy forwarded for.
    pub(crate) ip: IpAddr,
}

impl Client {
    /// What per-client limits key on (an IPv6 client's /64).
    pub(crate) fn key(&self) -> IpAddr {
        policy::client::limit_key(self.ip)
    }

    pub(crate) fn of(parts: &Parts, state: &AppState) -> Option<Client> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>()?.0;
        let forwarded = parts.headers.get_all(FORWARDED_FOR).iter().filter_map(|v| v.to_str().ok());
        let ip = policy::client::client_ip(peer.ip(), forwarded, &state.0.settings.trusted_proxies);
        Some(Client { ip })
    }

    /// Whether the request came through a proxy that is not a trusted one: it carries a
    /// forwarding header although its peer is not believed. A local proxy that is not listed
    /// makes every client look like loopback; such a request is not local.
    pub(crate) fn via_untrusted_proxy(parts: &Parts, state: &AppState) -> bool {
        let Some(peer) = parts.extensions.get::<ConnectInfo<SocketAddr>>() else { return true };
        let forwarded = [FORWARDED_FOR, "forwarded", "x-real-ip"]
            .iter()
            .any(|name| parts.headers.contains_key(*name));
        forwarded && !state.0.settings.trusted_proxies.contains(peer.0.ip())
    }
}

impl FromRequestParts<AppState> for Client {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        // The server is always served with connect info; without it there is no client to
        // limit, which is a bug of the caller, not of the request.
        Client::of(parts, state).ok_or_else(|| {
            ApiError::internal(&std::io::Error::other("the request carries no peer address"))
        })
    }
}
