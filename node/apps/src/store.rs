//! Storing new Cairn files for apps (`cairn:app/store`), paid by the account the operator
//! chose for each app, within the budget the operator set for it (`cairn apps pay`).
//!
//! A put is priced first and its price counted as spent at once, on disk, before anything
//! is paid: puts at once cannot together pass the budget, and a restart forgets nothing
//! that was paid. The node's client ([`FileStorer`]) encodes the file and gives its read
//! capability before anything is paid, then places the fragments and makes the contracts
//! in the background, at most the price. Only a put that fails before its capability
//! (nothing paid) gets its price back; a put whose replaced providers cost more than its
//! price is charged the rest. The whole put runs in a task of its own, so a request
//! dropped at its deadline never leaves one half done.
//!
//! The payer's secret, its budget and what was spent are kept in `DIR/payers/NAME.json`,
//! readable by the node's user only, and survive a reinstall of the app; removing the app
//! removes them.

use std::{
	collections::{BTreeMap, VecDeque},
	future::Future,
	path::{Path, PathBuf},
	pin::Pin,
	sync::{
		atomic::{AtomicU64, Ordering},
		Arc, Mutex,
	},
};

use bytes::Bytes;
use polkadot_sdk::sp_core::{crypto::Ss58Codec, sr25519, Pair};
use serde::{Deserialize, Serialize};

use crate::{Error, LOG_TARGET};

/// Puts of one app being placed at once.
pub const PLACING_PER_APP: usize = 2;
/// Puts whose state an app can still ask for (the oldest finished one is forgotten first).
const KEPT_STATES: usize = 64;

/// A boxed future, as the node's client returns them.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// How an app asks a file to be stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoreOptions {
	/// Fragments any of which, this many, restore the file.
	pub data_fragments: u16,
	/// Fragments in all, each with another provider.
	pub total_fragments: u16,
	/// Proving windows the contracts run for.
	pub windows: u32,
}

/// Why a file was not stored for an app.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreError {
	/// Larger than the node stores for an app (its most bytes).
	TooLarge(u64),
	/// It would take the app past its budget.
	OverBudget(String),
	BadOptions(String),
	Unavailable(String),
}

/// How a put is going.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PutState {
	Placing,
	Stored,
	Failed(String),
}

/// A put the node's client started: the file's read capability, and the rest of the put,
/// which gives the escrow of every contract it made (replacements included).
pub struct Started {
	pub capability: String,
	pub placed: BoxFuture<Result<u128, String>>,
}

/// Stores Cairn files for apps (`cairn:app/store`): the node's own client.
pub trait FileStorer: Send + Sync + 'static {
	/// What storing `size` bytes with `options` costs now, in the chain's smallest unit.
	fn quote(&self, size: u64, options: StoreOptions) -> BoxFuture<Result<u128, StoreError>>;
	/// Starts storing `data` with `options`, paid by `payer`, for at most `max_price`;
	/// returns once the read capability is known, before anything is paid.
	fn start(
		&self,
		data: Bytes,
		options: StoreOptions,
		payer: sr25519::Pair,
		max_price: u128,
	) -> BoxFuture<Result<Started, StoreError>>;
	/// `amount` as people read it (with the chain's unit).
	fn format(&self, amount: u128) -> String {
		amount.to_string()
	}
}

/// The account paying for an app's files, as `cairn apps pay` answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
	/// The paying account (SS58).
	pub account: String,
	/// The most the app's puts may cost in all, in the chain's smallest unit.
	pub budget: u128,
	/// What its puts cost so far, those being placed counted at their price.
	pub spent: u128,
}

/// The payer of an app as kept on disk.
#[derive(Clone, Serialize, Deserialize)]
struct Record {
	suri: String,
	account: String,
	budget: u128,
	spent: u128,
}

struct Payer {
	record: Record,
	pair: sr25519::Pair,
	/// Tells this payer from one set after the app was removed and installed again: what
	/// a put of the old one does later is not counted on the new one.
	generation: u64,
	placing: usize,
	/// Recent puts, oldest first.
	puts: VecDeque<(String, PutState)>,
}

impl Payer {
	fn payment(&self) -> Payment {
		Payment { account: self.record.account.clone(), budget: self.record.budget, spent: self.record.spent }
	}

	fn note(&mut self, capability: String, state: PutState) {
		if let Some(entry) = self.puts.iter_mut().find(|(cap, _)| *cap == capability) {
			entry.1 = state;
			return;
		}
		if self.puts.len() >= KEPT_STATES {
			// Placing ones are at most `PLACING_PER_APP`: a finished one is there to drop.
			if let Some(at) = self.puts.iter().position(|(_, state)| *state != PutState::Placing) {
				self.puts.remove(at);
			}
		}
		self.puts.push_back((capability, state));
	}
}

/// The accounts paying for apps' files, and the node's client that stores them.
pub(crate) struct Payers {
	dir: PathBuf,
	storer: std::sync::OnceLock<Arc<dyn FileStorer>>,
	max_size: u64,
	payers: Mutex<BTreeMap<String, Payer>>,
	/// Held while a record is written or removed: one at a time, each the latest.
	writing: Mutex<()>,
	generations: AtomicU64,
}

/// The key pair of secret URI `suri`, or a clear error.
fn pair_of(suri: &str) -> Result<sr25519::Pair, Error> {
	sr25519::Pair::from_string(suri, None).map_err(|_| {
		Error::BadPayer("not a secret URI: give a mnemonic, a seed (0x...) or a dev URI as //Alice".into())
	})
}

impl Payers {
	/// Opens the payers kept under `dir`; files of at most `max_size` bytes are stored.
	pub fn open(dir: &Path, max_size: u64) -> Result<Self, Error> {
		std::fs::create_dir_all(dir)?;
		let mut payers = BTreeMap::new();
		for entry in std::fs::read_dir(dir)? {
			let path = entry?.path();
			if path.extension().is_none_or(|ext| ext != "json") {
				// A write that did not finish: the record before it stands.
				let _ = std::fs::remove_file(&path);
				continue;
			}
			let Some(app) = path.file_stem().and_then(|n| n.to_str()).map(str::to_owned) else { continue };
			let loaded = std::fs::read(&path).map_err(Error::from).and_then(|json| {
				let record: Record = serde_json::from_slice(&json).map_err(|e| Error::Store(e.to_string()))?;
				let pair = pair_of(&record.suri)?;
				Ok(Payer { record, pair, generation: payers.len() as u64, placing: 0, puts: VecDeque::new() })
			});
			match loaded {
				Ok(payer) => {
					payers.insert(app, payer);
				},
				Err(e) => log::warn!(target: LOG_TARGET, "the payer in {} is not loaded: {e}", path.display()),
			}
		}
		Ok(Payers {
			dir: dir.to_owned(),
			storer: Default::default(),
			max_size,
			generations: AtomicU64::new(payers.len() as u64),
			payers: Mutex::new(payers),
			writing: Mutex::new(()),
		})
	}

	/// Stores files with `storer` from now on (once: later ones are ignored).
	pub fn with_storer(&self, storer: Arc<dyn FileStorer>) {
		let _ = self.storer.set(storer);
	}

	fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Payer>> {
		self.payers.lock().unwrap_or_else(|e| e.into_inner())
	}

	fn path(&self, app: &str) -> PathBuf {
		self.dir.join(format!("{app}.json"))
	}

	/// Writes `app`'s record as it is now, synced, readable by the node's user only (it
	/// holds a secret); nothing if the app has no payer any more.
	fn save(&self, app: &str) -> Result<(), Error> {
		let _writing = self.writing.lock().unwrap_or_else(|e| e.into_inner());
		let Some(record) = self.lock().get(app).map(|payer| payer.record.clone()) else { return Ok(()) };
		let json = serde_json::to_vec_pretty(&record).map_err(|e| Error::Store(e.to_string()))?;
		let new = self.dir.join(format!(".{app}.json.new"));
		crate::write_synced(&new, &json)?;
		std::fs::rename(&new, self.path(app))?;
		crate::sync_dir(&self.dir)?;
		Ok(())
	}

	/// [`Self::save`] off the executor; a failure is logged (the count in memory stands).
	async fn save_later(self: &Arc<Self>, app: &str) {
		let (payers, app) = (self.clone(), app.to_owned());
		let saved = tokio::task::spawn_blocking(move || payers.save(&app)).await;
		if !matches!(saved, Ok(Ok(()))) {
			log::error!(target: LOG_TARGET, "what an app spent on files could not be saved: {saved:?}");
		}
	}

	/// Makes `suri`'s account pay for `app`'s files, up to `budget` in all (what the app
	/// spent before counts, even if it was paid by another account).
	pub fn set(&self, app: &str, suri: &str, budget: u128) -> Result<Payment, Error> {
		let pair = pair_of(suri)?;
		let account = pair.public().to_ss58check();
		let payment = {
			let mut payers = self.lock();
			let payer = match payers.remove(app) {
				Some(payer) => {
					let record = Record { suri: suri.to_owned(), account, budget, spent: payer.record.spent };
					Payer { record, pair, ..payer }
				},
				None => Payer {
					record: Record { suri: suri.to_owned(), account, budget, spent: 0 },
					pair,
					generation: self.generations.fetch_add(1, Ordering::Relaxed),
					placing: 0,
					puts: VecDeque::new(),
				},
			};
			let payment = payer.payment();
			payers.insert(app.to_owned(), payer);
			payment
		};
		self.save(app)?;
		Ok(payment)
	}

	/// Who pays for `app`'s files, if anyone.
	pub fn payment(&self, app: &str) -> Option<Payment> {
		self.lock().get(app).map(Payer::payment)
	}

	/// Forgets `app`'s payer (the app is removed).
	pub fn remove(&self, app: &str) -> Result<(), Error> {
		let _writing = self.writing.lock().unwrap_or_else(|e| e.into_inner());
		self.lock().remove(app);
		match std::fs::remove_file(self.path(app)) {
			Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
			_ => Ok(()),
		}
	}

	/// How `app`'s put of `capability` is going.
	pub fn status(&self, app: &str, capability: &str) -> Option<PutState> {
		let payers = self.lock();
		payers.get(app)?.puts.iter().find(|(cap, _)| cap == capability).map(|(_, state)| state.clone())
	}

	/// Runs `change` on `app`'s payer if it is still the one of `generation`.
	fn with_payer<T>(&self, app: &str, generation: u64, change: impl FnOnce(&mut Payer) -> T) -> Option<T> {
		self.lock().get_mut(app).filter(|payer| payer.generation == generation).map(change)
	}

	/// Starts storing `data` for `app`: its read capability once the file is encoded, the
	/// rest in the background.
	pub async fn put(self: &Arc<Self>, app: &str, data: Vec<u8>, options: StoreOptions) -> Result<String, StoreError> {
		if data.len() as u64 > self.max_size {
			return Err(StoreError::TooLarge(self.max_size));
		}
		// The client, the pair, and a place among the puts being placed.
		let (storer, pair, generation) = {
			let mut payers = self.lock();
			let Some(payer) = payers.get_mut(app) else {
				return Err(StoreError::Unavailable(format!(
					"the operator chose no account to pay for this app's files (`cairn apps pay {app}`)"
				)));
			};
			let Some(storer) = self.storer.get().cloned() else {
				return Err(StoreError::Unavailable("this node stores no files for apps".into()));
			};
			if payer.placing >= PLACING_PER_APP {
				return Err(StoreError::Unavailable(format!(
					"{PLACING_PER_APP} files of this app are being placed; try again once one is stored"
				)));
			}
			payer.placing += 1;
			(storer, payer.pair.clone(), payer.generation)
		};
		let (tx, rx) = tokio::sync::oneshot::channel();
		let (payers, app) = (self.clone(), app.to_owned());
		tokio::spawn(async move {
			payers.place(storer, &app, generation, data, options, pair, tx).await;
			payers.with_payer(&app, generation, |payer| payer.placing = payer.placing.saturating_sub(1));
		});
		rx.await.unwrap_or_else(|_| Err(StoreError::Unavailable("the put stopped".into())))
	}

	/// A whole put: priced, its price spent, started (the capability goes to `started`),
	/// placed.
	#[allow(clippy::too_many_arguments)]
	async fn place(
		self: &Arc<Self>,
		storer: Arc<dyn FileStorer>,
		app: &str,
		generation: u64,
		data: Vec<u8>,
		options: StoreOptions,
		pair: sr25519::Pair,
		started: tokio::sync::oneshot::Sender<Result<String, StoreError>>,
	) {
		let size = data.len();
		let price = match storer.quote(size as u64, options).await {
			Ok(price) => price,
			Err(e) => return drop(started.send(Err(e))),
		};
		let spent = self.with_payer(app, generation, |payer| {
			let left = payer.record.budget.saturating_sub(payer.record.spent);
			if price > left {
				return Err(StoreError::OverBudget(format!(
					"storing it costs {}, and {} of the app's budget of {} is left",
					storer.format(price),
					storer.format(left),
					storer.format(payer.record.budget)
				)));
			}
			payer.record.spent += price;
			Ok(())
		});
		match spent {
			Some(Ok(())) => self.save_later(app).await,
			Some(Err(e)) => return drop(started.send(Err(e))),
			None => return drop(started.send(Err(StoreError::Unavailable("the app was removed".into())))),
		}
		let Started { capability, placed } = match storer.start(Bytes::from(data), options, pair, price).await {
			Ok(put) => put,
			Err(e) => {
				// Nothing was paid: the price is the budget's again.
				self.with_payer(app, generation, |payer| payer.record.spent = payer.record.spent.saturating_sub(price));
				self.save_later(app).await;
				return drop(started.send(Err(e)));
			},
		};
		self.with_payer(app, generation, |payer| payer.note(capability.clone(), PutState::Placing));
		// The capability holds the file's key: the log says only that a put goes on.
		log::info!(target: LOG_TARGET, "{app}: storing a file of {size} bytes for at most {}", storer.format(price));
		let _ = started.send(Ok(capability.clone()));
		let state = match placed.await {
			Ok(escrow) => {
				if escrow > price {
					// Replaced providers' contracts cost more than the price.
					self.with_payer(app, generation, |payer| payer.record.spent += escrow - price);
					self.save_later(app).await;
				}
				PutState::Stored
			},
			Err(why) => PutState::Failed(why),
		};
		log::info!(target: LOG_TARGET, "{app}: a file of {size} bytes: {state:?}");
		self.with_payer(app, generation, |payer| payer.note(capability, state));
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_payer_is_kept_with_what_its_app_spent_and_its_secret_is_readable_only_by_the_node() {
		let dir = tempfile::tempdir().unwrap();
		let payers = Payers::open(dir.path(), 1 << 20).unwrap();
		assert!(matches!(payers.set("site", "not a key", 5), Err(Error::BadPayer(_))));
		let payment = payers.set("site", "//Ferdie", 5).unwrap();
		assert_eq!(payment.account, sr25519::Pair::from_string("//Ferdie", None).unwrap().public().to_ss58check());
		assert_eq!((payment.budget, payment.spent), (5, 0));
		use std::os::unix::fs::PermissionsExt;
		let mode = std::fs::metadata(dir.path().join("site.json")).unwrap().permissions().mode();
		assert_eq!(mode & 0o777, 0o600);
		// A write that did not finish is dropped; the record before it stands.
		std::fs::write(dir.path().join(".site.json.new"), b"{\"suri\": \"//Eve").unwrap();
		let reopened = Payers::open(dir.path(), 1 << 20).unwrap();
		assert_eq!(reopened.payment("site"), Some(payment));
		assert!(!dir.path().join(".site.json.new").exists());
		reopened.remove("site").unwrap();
		assert_eq!(Payers::open(dir.path(), 1 << 20).unwrap().payment("site"), None);
	}
}
