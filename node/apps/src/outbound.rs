//! Outbound HTTP for apps, to the hosts they were granted: plain HTTP/1.1 over TCP, with
//! the timeouts the app asked for. A granted name is resolved here and used only where it
//! resolves to public addresses: a name cannot lead an app to the node's loopback or
//! local network (an operator who wants that grants the address itself).

use std::{
	net::{IpAddr, SocketAddr},
	sync::Arc,
};

use hyper_util::rt::TokioIo;
use tokio::{net::TcpStream, sync::OwnedSemaphorePermit, time::timeout};
use wasmtime_wasi_http::{
	bindings::http::types::{DnsErrorPayload, ErrorCode},
	body::HyperOutgoingBody,
	hyper_request_error, hyper_response_error,
	types::{HostFutureIncomingResponse, IncomingResponse, OutgoingRequestConfig},
};

use crate::App;

/// Sends `request` in a task of its own, which holds `permit` until the response ends;
/// the app polls the result.
pub(crate) fn send(
	request: hyper::Request<HyperOutgoingBody>,
	config: OutgoingRequestConfig,
	app: Arc<App>,
	permit: OwnedSemaphorePermit,
) -> HostFutureIncomingResponse {
	HostFutureIncomingResponse::pending(wasmtime_wasi::runtime::spawn(async move {
		let result = exchange(request, config, permit).await;
		if let Err(code) = &result {
			app.log(format!("an outbound request failed: {code:?}"));
		}
		Ok(result)
	}))
}

/// Whether `ip` is an address of the public internet (not loopback, private, link-local,
/// shared, multicast, documentation or unspecified).
pub(crate) fn is_public(ip: IpAddr) -> bool {
	match ip {
		IpAddr::V4(v4) => {
			let [a, b, ..] = v4.octets();
			!(v4.is_loopback()
				|| v4.is_private()
				|| v4.is_link_local()
				|| v4.is_multicast()
				|| v4.is_broadcast()
				|| v4.is_unspecified()
				|| v4.is_documentation()
				|| a == 0 || (a == 100 && (64..128).contains(&b))
				|| a >= 240)
		},
		IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
			Some(v4) => is_public(IpAddr::V4(v4)),
			None => {
				let first = v6.segments()[0];
				!(v6.is_loopback()
					|| v6.is_unspecified()
					|| v6.is_multicast()
					|| (first & 0xfe00) == 0xfc00
					|| (first & 0xffc0) == 0xfe80
					|| first == 0x2001 && v6.segments()[1] == 0xdb8)
			},
		},
	}
}

async fn exchange(
	mut request: hyper::Request<HyperOutgoingBody>,
	config: OutgoingRequestConfig,
	permit: OwnedSemaphorePermit,
) -> Result<IncomingResponse, ErrorCode> {
	let authority = request.uri().authority().ok_or(ErrorCode::HttpRequestUriInvalid)?;
	let port = authority.port_u16().unwrap_or(80);
	let host = authority.host().trim_start_matches('[').trim_end_matches(']').to_owned();
	let addresses: Vec<SocketAddr> = match host.parse::<IpAddr>() {
		// An address the operator granted as such.
		Ok(ip) => vec![SocketAddr::new(ip, port)],
		Err(_) => {
			let resolved = timeout(config.connect_timeout, tokio::net::lookup_host((host.as_str(), port)))
				.await
				.map_err(|_| ErrorCode::DnsTimeout)?
				.map_err(|e| ErrorCode::DnsError(DnsErrorPayload { rcode: Some(e.to_string()), info_code: None }))?;
			let public: Vec<SocketAddr> = resolved.filter(|a| is_public(a.ip())).collect();
			if public.is_empty() {
				return Err(ErrorCode::DestinationIpProhibited);
			}
			public
		},
	};
	let stream = timeout(config.connect_timeout, TcpStream::connect(&addresses[..]))
		.await
		.map_err(|_| ErrorCode::ConnectionTimeout)?
		.map_err(|_| ErrorCode::ConnectionRefused)?;
	let (mut sender, connection) =
		timeout(config.connect_timeout, hyper::client::conn::http1::handshake(TokioIo::new(stream)))
			.await
			.map_err(|_| ErrorCode::ConnectionTimeout)?
			.map_err(hyper_request_error)?;
	// The connection, and the app's slot for it, last as long as the response is read.
	let worker = wasmtime_wasi::runtime::spawn(async move {
		let _permit = permit;
		if let Err(e) = connection.await {
			log::debug!(target: crate::LOG_TARGET, "an app's outbound connection ended: {e}");
		}
	});
	// On the wire the request names its path only; the host is in its `Host` header.
	let path = request.uri().path_and_query().map_or("/", |p| p.as_str()).to_owned();
	*request.uri_mut() = path.parse().map_err(|_| ErrorCode::HttpRequestUriInvalid)?;
	let response = timeout(config.first_byte_timeout, sender.send_request(request))
		.await
		.map_err(|_| ErrorCode::ConnectionReadTimeout)?
		.map_err(hyper_request_error)?
		.map(|body| http_body_util::BodyExt::boxed(http_body_util::BodyExt::map_err(body, hyper_response_error)));
	Ok(IncomingResponse { resp: response, worker: Some(worker), between_bytes_timeout: config.between_bytes_timeout })
}

#[cfg(test)]
mod tests {
	use super::is_public;

	#[test]
	fn only_addresses_of_the_public_internet_are_public() {
		for public in ["1.1.1.1", "93.184.216.34", "2606:4700::1111", "::ffff:8.8.8.8"] {
			assert!(is_public(public.parse().unwrap()), "{public}");
		}
		let local = [
			"127.0.0.1",
			"10.1.2.3",
			"172.16.0.1",
			"192.168.1.1",
			"169.254.169.254",
			"100.64.0.1",
			"0.0.0.0",
			"224.0.0.1",
			"255.255.255.255",
			"240.0.0.1",
			"192.0.2.1",
			"::1",
			"::",
			"fd00::1",
			"fe80::1",
			"ff02::1",
			"::ffff:127.0.0.1",
			"::ffff:10.0.0.1",
			"2001:db8::1",
		];
		for address in local {
			assert!(!is_public(address.parse().unwrap()), "{address}");
		}
	}
}
