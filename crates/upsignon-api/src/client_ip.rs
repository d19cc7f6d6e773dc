use std::net::IpAddr;

/// The address of the client that made `req`: [`client_ip`] on its peer
/// address and `X-Forwarded-For` header.
pub fn request_client_ip(req: &actix_web::HttpRequest, trusted: &[IpAddr]) -> Option<IpAddr> {
    let forwarded = req
        .headers()
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok());
    client_ip(req.peer_addr().map(|a| a.ip()), forwarded, trusted)
}

/// The address of the client that made a request.
///
/// `X-Forwarded-For` is believed only when the direct peer is a trusted
/// proxy, and then only up to the first hop that is not itself trusted,
/// read from the right: a client cannot forge its address by sending the
/// header itself.
pub fn client_ip(
    peer: Option<IpAddr>,
    forwarded_for: Option<&str>,
    trusted: &[IpAddr],
) -> Option<IpAddr> {
    let peer = peer?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let Some(header) = forwarded_for else {
        return Some(peer);
    };
    let mut hops = header.split(',').rev().map(str::trim);
    let mut last_trusted = peer;
    for hop in hops.by_ref() {
        match hop.parse::<IpAddr>() {
            Ok(ip) if trusted.contains(&ip) => last_trusted = ip,
            Ok(ip) => return Some(ip),
            Err(_) => break,
        }
    }
    Some(last_trusted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        assert_eq!(
            client_ip(
                Some(ip("203.0.113.9")),
                Some("10.1.1.1"),
                &[ip("127.0.0.1")]
            ),
            Some(ip("203.0.113.9"))
        );
    }

    #[test]
    fn a_trusted_proxy_passes_on_the_first_untrusted_hop_from_the_right() {
        let trusted = [ip("127.0.0.1"), ip("10.0.0.2")];
        let header = "198.51.100.7, 203.0.113.5, 10.0.0.2";
        assert_eq!(
            client_ip(Some(ip("127.0.0.1")), Some(header), &trusted),
            Some(ip("203.0.113.5"))
        );
    }

    #[test]
    fn garbage_in_the_header_stops_the_walk() {
        let trusted = [ip("127.0.0.1")];
        assert_eq!(
            client_ip(Some(ip("127.0.0.1")), Some("evil, not-an-ip"), &trusted),
            Some(ip("127.0.0.1"))
        );
        assert_eq!(
            client_ip(Some(ip("127.0.0.1")), None, &trusted),
            Some(ip("127.0.0.1"))
        );
    }
}
