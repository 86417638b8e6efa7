//! Whole files over the service plane: encode and upload to providers, download any k
//! fragments, check them, reconstruct and decrypt. Memory stays bounded: fragments pass
//! through temporary files.

use std::{
	fs::File,
	io::{BufReader, BufWriter, Seek, SeekFrom, Write},
	path::Path,
	sync::Arc,
};

use cairn_erasure::{decode, encode, FragmentVerifier, Manifest, Params, ReadCapability};
use futures::future::join_all;
use libp2p::Multiaddr;

use crate::{Error as NetError, Handle, UploadAuth};

/// Errors of file transfers.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
	#[error("no providers given")]
	NoProviders,
	#[error(transparent)]
	Erasure(#[from] cairn_erasure::Error),
	#[error(transparent)]
	Net(#[from] NetError),
	#[error("no provider has the manifest of this capability")]
	ManifestNotFound,
	#[error("only {good} good fragments reachable, {need} needed: {details}")]
	NotEnoughFragments { good: usize, need: usize, details: String },
	#[error("uploading fragment {index} to {provider} failed: {source}")]
	Upload { index: usize, provider: Multiaddr, source: NetError },
	#[error("{} exists; choose another output or overwrite it with --force", .0.display())]
	Exists(std::path::PathBuf),
	#[error("the provider sent too little within {0} s")]
	Slow(u64),
	#[error("I/O: {0}")]
	Io(#[from] std::io::Error),
}

/// The slowest download of a fragment waited for (after 30 s of grace), in bytes per second.
const FLOOR_BYTES_PER_SEC: u64 = 256 * 1024;

/// A fragment being downloaded: written to `file` and hashed on the way.
struct Verifying {
	file: BufWriter<File>,
	verifier: FragmentVerifier,
}

impl Write for Verifying {
	fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
		let n = self.file.write(data)?;
		self.verifier.update(&data[..n]);
		Ok(n)
	}

	fn flush(&mut self) -> std::io::Result<()> {
		self.file.flush()
	}
}

/// Progress of a transfer, in bytes, for a progress bar.
pub trait Progress: Send + Sync {
	fn set_total(&self, total: u64);
	fn advance(&self, bytes: u64);
	fn note(&self, message: &str);
}

/// Progress that goes nowhere.
pub struct Quiet;
impl Progress for Quiet {
	fn set_total(&self, _: u64) {}
	fn advance(&self, _: u64) {}
	fn note(&self, _: &str) {}
}

/// A file encoded into fragments in a temporary directory, ready to upload.
pub struct EncodedFile {
	pub manifest: Manifest,
	pub key: cairn_erasure::FileKey,
	paths: Vec<std::path::PathBuf>,
	_dir: tempfile::TempDir,
}

impl EncodedFile {
	/// The read capability of the file stored under `client`'s contracts (`None`: a v1
	/// capability without the account).
	pub fn capability(&self, client: Option<[u8; 32]>) -> ReadCapability {
		ReadCapability { client, manifest_id: self.manifest.id(), key: self.key.clone() }
	}
}

/// Encrypts and erasure-codes `path` into fragments in a temporary directory.
pub async fn encode_file(path: &Path, params: Params) -> Result<EncodedFile, FileError> {
	encode_file_in(path, params, &std::env::temp_dir()).await
}

/// Encrypts and erasure-codes `path` into fragments in a new directory inside `parent`,
/// removed with the [`EncodedFile`].
pub async fn encode_file_in(path: &Path, params: Params, parent: &Path) -> Result<EncodedFile, FileError> {
	params.check()?;
	let dir = tempfile::Builder::new().prefix("fragments-").tempdir_in(parent)?;
	let input = File::open(path)?;
	let paths: Vec<_> = (0..params.n as usize).map(|i| dir.path().join(format!("fragment-{i}"))).collect();
	let encoded = {
		let paths = paths.clone();
		tokio::task::spawn_blocking(move || -> Result<_, FileError> {
			let mut sinks = paths.iter().map(|p| File::create(p).map(BufWriter::new)).collect::<Result<Vec<_>, _>>()?;
			Ok(encode(BufReader::new(input), &params, &mut sinks)?)
		})
		.await
		.map_err(|_| NetError::Stopped)??
	};
	Ok(EncodedFile { manifest: encoded.manifest, key: encoded.key, paths, _dir: dir })
}

/// The paying client's authorisations for a file's uploads: contract `contracts[i]`
/// pays for fragment i, and `sign` signs with the client's sr25519 account key.
#[derive(Clone)]
pub struct Authorisations {
	/// The chain's genesis hash.
	pub genesis: [u8; 32],
	/// The contract of each fragment, by index.
	pub contracts: Vec<u64>,
	/// Signs a payload with the client's account (sr25519, Substrate's context).
	pub sign: Arc<dyn Fn(&[u8]) -> [u8; 64] + Send + Sync>,
}

impl Authorisations {
	/// The authorisation to upload fragment `index` of `file` to `provider`, under
	/// `contracts[index]`.
	pub fn auth(&self, file: &EncodedFile, index: usize, provider: &Multiaddr) -> Option<UploadAuth> {
		let contract = *self.contracts.get(index)?;
		let (peer, _) = crate::split_peer(provider).ok()?;
		let m = &file.manifest;
		let root = m.fragment_roots.get(index)?;
		let payload = crate::upload_payload(&self.genesis, contract, root, m.fragment_size, m.segment_size, &peer);
		Some(UploadAuth { contract, signature: (self.sign)(&payload) })
	}
}

/// Transient failures an upload is tried again after.
fn transient(e: &NetError) -> bool {
	use crate::ErrorCode::*;
	match e {
		NetError::Remote { code, .. } => matches!(code, Refused | Busy | TooSlow | Internal),
		NetError::Outbound { .. } => true,
		_ => false,
	}
}

/// Stores fragment `index` of `file` with `provider`, with the client's authorisation
/// `auth` when the provider sells storage. A provider that refuses for now (e.g. it has
/// not yet seen the contract) or fails on the way is asked again every two seconds for up
/// to `patience` (at least three tries); a refusal that cannot change (`Unauthorized`,
/// `RootMismatch`, `Full`) fails at once.
pub async fn upload_fragment(
	net: &Handle,
	file: &EncodedFile,
	index: usize,
	provider: &Multiaddr,
	auth: Option<UploadAuth>,
	progress: Arc<dyn Progress>,
	patience: std::time::Duration,
) -> Result<(), FileError> {
	let manifest = &file.manifest;
	let root = *manifest.fragment_roots.get(index).ok_or(FileError::NoProviders)?;
	let (len, segment) = (manifest.fragment_size, manifest.segment_size);
	let deadline = std::time::Instant::now() + patience;
	let mut tries = 0;
	loop {
		tries += 1;
		let mut sent = 0;
		let input = BufReader::new(File::open(&file.paths[index])?);
		let result = net
			.put_fragment(provider, root, segment, len, auth.clone(), input, |n| {
				progress.advance(n.saturating_sub(sent));
				sent = n;
			})
			.await;
		match result {
			Err(e) if transient(&e) && (tries < 3 || std::time::Instant::now() < deadline) => {
				if sent > 0 {
					progress.note(&format!("fragment {index} to {provider}: {e}; trying again"));
				}
				tokio::time::sleep(std::time::Duration::from_secs(2)).await
			},
			result => return result.map_err(|source| FileError::Upload { index, provider: provider.clone(), source }),
		}
	}
}

/// Stores the manifest of `file` with each provider; `contracts[i]` is provider i's
/// contract for the file, for providers that sell storage.
pub async fn put_manifests(
	net: &Handle,
	file: &EncodedFile,
	providers: &[Multiaddr],
	contracts: Option<&[u64]>,
) -> Result<(), FileError> {
	let bytes = file.manifest.to_bytes();
	let id = file.manifest.id();
	let puts = providers.iter().enumerate().map(|(i, p)| {
		let contract = contracts.and_then(|c| c.get(i).copied());
		net.put_manifest(p, id, bytes.clone(), contract)
	});
	for result in join_all(puts).await {
		result?;
	}
	Ok(())
}

/// Stores fragment i of `file` with provider `i mod providers.len()` (see
/// [`upload_fragment`]), and the manifest with every provider, under the client's
/// `authorisations` when the providers sell storage.
pub async fn upload(
	net: &Handle,
	file: &EncodedFile,
	providers: &[Multiaddr],
	progress: Arc<dyn Progress>,
	patience: std::time::Duration,
	authorisations: Option<&Authorisations>,
) -> Result<ReadCapability, FileError> {
	if providers.is_empty() {
		return Err(FileError::NoProviders);
	}
	let manifest = &file.manifest;
	let n = manifest.n as usize;
	progress.set_total(manifest.fragment_size * n as u64);
	let uploads = (0..n).map(|i| {
		let provider = providers[i % providers.len()].clone();
		let auth = authorisations.and_then(|a| a.auth(file, i, &provider));
		let progress = progress.clone();
		async move { upload_fragment(net, file, i, &provider, auth, progress, patience).await }
	});
	for result in join_all(uploads).await {
		result?;
	}
	put_manifests(net, file, providers, authorisations.map(|a| &a.contracts[..])).await?;
	Ok(file.capability(None))
}

/// Encodes `path` and stores fragment i with provider `i mod providers.len()`, and the
/// manifest with every provider. Returns the read capability and the manifest.
pub async fn put_file(
	net: &Handle,
	path: &Path,
	params: Params,
	providers: &[Multiaddr],
	progress: Arc<dyn Progress>,
) -> Result<(ReadCapability, Manifest), FileError> {
	if providers.is_empty() {
		return Err(FileError::NoProviders);
	}
	let file = encode_file(path, params).await?;
	let cap = upload(net, &file, providers, progress, std::time::Duration::ZERO, None).await?;
	Ok((cap, file.manifest))
}

/// Fetches the manifest of a capability from the first provider that has it.
pub async fn fetch_manifest(
	net: &Handle,
	cap: &ReadCapability,
	providers: &[Multiaddr],
) -> Result<Manifest, FileError> {
	for provider in providers {
		match net.get_manifest(provider, cap.manifest_id).await {
			Ok(Some(bytes)) if cairn_primitives::blake2_256(&bytes) == cap.manifest_id => {
				return Ok(Manifest::from_bytes(&bytes)?)
			},
			Ok(Some(_)) => {
				log::warn!("{provider} returned a manifest that does not match the capability")
			},
			Ok(None) => {},
			Err(e) => log::warn!("{provider}: {e}"),
		}
	}
	Err(FileError::ManifestNotFound)
}

/// The fragments of a file, fetched and checked against their roots, staged on disk and
/// ready to decode.
pub struct Fetched {
	manifest: Manifest,
	fragments: Vec<Option<File>>,
	/// Where they are staged; removed with them.
	_dir: tempfile::TempDir,
}

impl Fetched {
	pub fn manifest(&self) -> &Manifest {
		&self.manifest
	}

	/// Decrypts and decodes the file into `out`, as it goes (each chunk is authenticated
	/// before it is written). Blocking work: call it off the executor.
	pub fn decode<W: Write + ?Sized>(self, key: &cairn_erasure::FileKey, out: &mut W) -> Result<(), FileError> {
		let readers = self.fragments.into_iter().map(|f| f.map(BufReader::new)).collect();
		decode(&self.manifest, key, readers, out)?;
		Ok(())
	}
}

/// Restores the file of `cap` into `out` (written to `out.part`, renamed when complete and
/// checked). Fragments are staged next to `out`.
pub async fn get_file(
	net: &Handle,
	cap: &ReadCapability,
	providers: &[Multiaddr],
	out: &Path,
	overwrite: bool,
	progress: Arc<dyn Progress>,
) -> Result<Manifest, FileError> {
	if !overwrite && out.exists() {
		return Err(FileError::Exists(out.to_path_buf()));
	}
	// Fragments are staged next to the output (same disk, and not a small `/tmp`).
	let parent = match out.parent() {
		Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
		_ => std::path::PathBuf::from("."),
	};
	let fetched = fetch_fragments(net, cap, providers, &parent, progress).await?;
	let manifest = fetched.manifest.clone();
	let part = out.with_extension(match out.extension() {
		Some(ext) => format!("{}.part", ext.to_string_lossy()),
		None => "part".into(),
	});
	let key = cap.key.clone();
	let part_path = part.clone();
	tokio::task::spawn_blocking(move || -> Result<(), FileError> {
		let mut out = BufWriter::new(File::create(&part_path)?);
		fetched.decode(&key, &mut out)?;
		// On disk before the rename makes it the file.
		out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
		Ok(())
	})
	.await
	.map_err(|_| NetError::Stopped)?
	.inspect_err(|_| {
		let _ = std::fs::remove_file(&part);
	})?;
	std::fs::rename(&part, out)?;
	Ok(manifest)
}

/// Fetches the fragments of `cap`'s file that decoding needs into a directory under
/// `staging`, k at a time, each checked against its root as it arrives; a bad or missing
/// one is named in the log and another is tried.
pub async fn fetch_fragments(
	net: &Handle,
	cap: &ReadCapability,
	providers: &[Multiaddr],
	staging: &Path,
	progress: Arc<dyn Progress>,
) -> Result<Fetched, FileError> {
	if providers.is_empty() {
		return Err(FileError::NoProviders);
	}
	let manifest = fetch_manifest(net, cap, providers).await?;
	let need = cairn_erasure::codec::fragments_needed(manifest.codec, manifest.k, manifest.n);
	let n = manifest.n as usize;
	progress.set_total(manifest.fragment_size * need as u64);
	let dir = tempfile::Builder::new().prefix(".cairn-get-").tempdir_in(staging)?;
	// A provider that has not delivered a fragment by then is given up for another.
	let patience = std::time::Duration::from_secs(30 + manifest.fragment_size / FLOOR_BYTES_PER_SEC);

	// Candidates, tried in index order: each fragment from each provider.
	let mut candidates: std::collections::VecDeque<(usize, Multiaddr)> = Default::default();
	for i in 0..n {
		for j in 0..providers.len() {
			candidates.push_back((i, providers[(i + j) % providers.len()].clone()));
		}
	}
	let mut good: Vec<Option<File>> = (0..n).map(|_| None).collect();
	let mut failures = Vec::new();
	while good.iter().flatten().count() < need && !candidates.is_empty() {
		// Fetch as many as are still missing, in parallel, one candidate per fragment
		// index; the other candidates of an index in the batch wait for the next round.
		let missing = need - good.iter().flatten().count();
		let mut batch: Vec<(usize, Multiaddr)> = Vec::new();
		let mut waiting = std::collections::VecDeque::new();
		while let Some((i, provider)) = candidates.pop_front() {
			if good[i].is_some() {
				continue;
			}
			if batch.len() < missing && !batch.iter().any(|(j, _)| *j == i) {
				batch.push((i, provider));
			} else {
				waiting.push_back((i, provider));
			}
		}
		candidates = waiting;
		// One task per fragment, so that receiving and hashing use every core; a get that
		// is dropped (its caller gone) aborts them with the set.
		let mut fetches = tokio::task::JoinSet::new();
		for (i, provider) in batch {
			let (net, manifest, progress) = (net.clone(), manifest.clone(), progress.clone());
			let path = dir.path().join(format!("fragment-{i}"));
			fetches.spawn(async move {
				let result = async {
					let file = File::options().create(true).truncate(true).read(true).write(true).open(&path)?;
					let mut sink = Verifying {
						file: BufWriter::with_capacity(1 << 20, file),
						verifier: FragmentVerifier::new(&manifest, i)?,
					};
					let mut got = 0;
					let fetch = net.get_fragment(
						&provider,
						manifest.fragment_roots[i],
						manifest.fragment_size,
						&mut sink,
						|n| {
							progress.advance(n - got);
							got = n;
						},
					);
					tokio::time::timeout(patience, fetch).await.map_err(|_| FileError::Slow(patience.as_secs()))??;
					sink.verifier.finish()?;
					let mut file = sink.file.into_inner().map_err(|e| e.into_error())?;
					file.seek(SeekFrom::Start(0))?;
					Ok::<_, FileError>(file)
				}
				.await;
				(i, provider, result)
			});
		}
		while let Some(joined) = fetches.join_next().await {
			let (i, provider, result) = joined.map_err(|_| NetError::Stopped)?;
			match result {
				Ok(file) => good[i] = Some(file),
				Err(e) => {
					log::warn!("fragment {i} from {provider} unusable ({e}); trying another");
					progress.note(&format!("fragment {i} from {provider} unusable: {e}"));
					failures.push(format!("fragment {i} from {provider}: {e}"));
				},
			}
		}
	}
	let have = good.iter().flatten().count();
	if have < need {
		return Err(FileError::NotEnoughFragments { good: have, need, details: failures.join("; ") });
	}
	Ok(Fetched { manifest, fragments: good, _dir: dir })
}
