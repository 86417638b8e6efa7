//! The calls' logic and the settlement of windows: plain functions behind the thin calls
//! in `lib.rs` and the [`StorageMarket`] trait the proofs pallet drives.

use crate::*;
use cairn_primitives::{
	merkle,
	traits::{FragmentLedger, NodeRegistry, PartitionRef, ProvableFragment, StorageMarket},
};
use polkadot_sdk::{
	frame_support::{
		ensure,
		pallet_prelude::*,
		traits::{
			fungible::{Inspect, Mutate, MutateHold},
			tokens::{Fortitude, Precision, Preservation, Restriction},
		},
	},
	frame_system::{self, pallet_prelude::BlockNumberFor},
	sp_runtime::{
		traits::{Saturating, Zero},
		SaturatedConversion,
	},
};

impl<T: Config> Pallet<T> {
	pub(crate) fn do_set_offer(
		provider: T::AccountId,
		price_per_gib: BalanceOf<T>,
		capacity: u64,
		min_duration: Period,
		max_duration: Period,
	) -> DispatchResult {
		ensure!(T::Registry::is_attested(&provider), Error::<T>::NotAttested);
		ensure!(
			min_duration >= 1 && min_duration <= max_duration && max_duration <= T::MaxDuration::get(),
			Error::<T>::BadDuration
		);
		ensure!(price_per_gib >= Self::params().min_price_per_gib, Error::<T>::PriceBelowFloor);
		let existing = Offers::<T>::get(&provider);
		let (used, bond) = existing.map(|o| (o.used, o.bond)).unwrap_or((0, Zero::zero()));
		ensure!(capacity >= used, Error::<T>::CapacityBelowUsed);
		let top_up = T::ProviderBond::get().saturating_sub(bond);
		if !top_up.is_zero() {
			T::Currency::hold(&HoldReason::ProviderBond.into(), &provider, top_up)
				.map_err(|_| Error::<T>::InsufficientBond)?;
		}
		let bond = bond.saturating_add(top_up);
		Offers::<T>::insert(&provider, Offer { price_per_gib, capacity, used, min_duration, max_duration, bond });
		Self::deposit_event(Event::OfferSet { provider, price_per_gib, capacity, bond });
		Ok(())
	}

	pub(crate) fn do_create_contracts(
		client: T::AccountId,
		manifest: ManifestId,
		segment_size: u32,
		duration: Period,
		fragments: Orders<T>,
	) -> DispatchResult {
		ensure!(!fragments.is_empty(), Error::<T>::NoFragments);
		ensure!(duration > 0, Error::<T>::ZeroDuration);
		ensure!(
			merkle::is_segment_size(segment_size) && segment_size <= T::MaxSegmentSize::get(),
			Error::<T>::BadSegmentSize
		);
		let params = Self::params();
		let now = frame_system::Pallet::<T>::block_number();
		let accept_by = now.saturating_add(params.accept_window.into());
		let pending = ClientPending::<T>::get(&client)
			.checked_add(fragments.len() as u32)
			.filter(|n| *n <= T::MaxPendingPerClient::get())
			.ok_or(Error::<T>::ClientTooManyPending)?;
		let mut file = FileContracts::<T>::get(&client, manifest);
		let mut tail = ExpiryTail::<T>::get();
		let mut id = NextContractId::<T>::get();
		for order in fragments {
			ensure!(order.size > 0, Error::<T>::ZeroSize);
			let mut offer = Offers::<T>::get(&order.provider).ok_or(Error::<T>::UnknownOffer)?;
			ensure!(T::Registry::is_attested(&order.provider), Error::<T>::NotAttested);
			ensure!((offer.min_duration..=offer.max_duration).contains(&duration), Error::<T>::DurationOutOfRange);
			let price = period_price(order.size, offer.price_per_gib.saturated_into())
				.checked_mul(duration as u128)
				.ok_or(Error::<T>::Overflow)?;
			ensure!(price <= order.max_price.saturated_into::<u128>(), Error::<T>::PriceAboveMax);
			offer.used = offer.used.checked_add(order.size).ok_or(Error::<T>::Overflow)?;
			ensure!(offer.used <= offer.capacity, Error::<T>::ProviderFull);
			let escrow: BalanceOf<T> = price.saturated_into();
			let fee: BalanceOf<T> = Self::market_fee(&params, price).saturated_into();
			let reservation = params.reservation_fee;
			let held = escrow.saturating_add(fee).saturating_add(reservation);

			ProviderPending::<T>::try_mutate(&order.provider, |p| p.try_push(id))
				.map_err(|_| Error::<T>::TooManyPending)?;
			file.try_push(id).map_err(|_| Error::<T>::TooManyFragments)?;
			T::Currency::hold(&HoldReason::Escrow.into(), &client, held)
				.map_err(|_| Error::<T>::InsufficientBalance)?;
			Offers::<T>::insert(&order.provider, offer);
			ExpiryQueue::<T>::insert(tail, id);
			tail = tail.saturating_add(1);
			Contracts::<T>::insert(
				id,
				Contract {
					client: client.clone(),
					provider: order.provider.clone(),
					manifest,
					root: order.root,
					size: order.size,
					segment_size,
					duration,
					escrow,
					fee,
					reservation,
					collateral: Zero::zero(),
					mint: Zero::zero(),
					state: ContractState::Pending { accept_by },
				},
			);
			Self::deposit_event(Event::ContractCreated {
				id,
				client: client.clone(),
				provider: order.provider,
				manifest,
				root: order.root,
				size: order.size,
				escrow,
				fee,
				reservation,
			});
			id = id.checked_add(1).ok_or(Error::<T>::Overflow)?;
		}
		NextContractId::<T>::put(id);
		ExpiryTail::<T>::put(tail);
		ClientPending::<T>::insert(&client, pending);
		FileContracts::<T>::insert(&client, manifest, file);
		Ok(())
	}

	pub(crate) fn do_accept(provider: T::AccountId, id: ContractId) -> DispatchResult {
		let mut contract = Contracts::<T>::get(id).ok_or(Error::<T>::UnknownContract)?;
		ensure!(contract.provider == provider, Error::<T>::NotProvider);
		let ContractState::Pending { accept_by } = contract.state else {
			return Err(Error::<T>::NotPending.into());
		};
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(now < accept_by, Error::<T>::AcceptWindowClosed);
		let params = Self::params();
		let collateral: BalanceOf<T> =
			percent_of(contract.escrow.saturated_into(), params.collateral_percent).saturated_into();
		T::Currency::hold(&HoldReason::Collateral.into(), &provider, collateral)
			.map_err(|_| Error::<T>::InsufficientCollateral)?;
		let (deadline, partition) = Self::assign_partition(&provider, id)?;

		// The fee is burned; the reservation returns to the client.
		let burned = T::Currency::burn_held(
			&HoldReason::Escrow.into(),
			&contract.client,
			contract.fee,
			Precision::BestEffort,
			Fortitude::Force,
		)?;
		Self::release_escrow(&contract.client, contract.reservation);
		// The payment moves into the pot, from which its windows are paid or refunded.
		Self::fund_pot();
		T::Currency::transfer_on_hold(
			&HoldReason::Escrow.into(),
			&contract.client,
			&Self::pot(),
			contract.escrow,
			Precision::Exact,
			Restriction::Free,
			Fortitude::Force,
		)?;
		let first = RootRefs::<T>::mutate(contract.root, |n| {
			*n = n.saturating_add(1);
			*n == 1
		});
		contract.mint = if first {
			percent_of(burned.saturated_into(), params.mint_percent.min(50) as u32).saturated_into()
		} else {
			Zero::zero()
		};
		let start = params.schedule().window_of(now.saturated_into()).saturating_add(1);
		let end = start.saturating_add(contract.duration);
		contract.fee = Zero::zero();
		contract.reservation = Zero::zero();
		contract.collateral = collateral;
		contract.state =
			ContractState::Active { start, end, next: start, misses: 0, last_proven: None, deadline, partition };
		ProviderPending::<T>::mutate(&provider, |p| p.retain(|c| *c != id));
		ClientPending::<T>::mutate_exists(&contract.client, |n| Self::decrement(n));
		ActiveContracts::<T>::mutate(|n| *n = n.saturating_add(1));
		Contracts::<T>::insert(id, contract);
		Self::deposit_event(Event::ContractAccepted {
			id,
			provider,
			start,
			end,
			deadline,
			partition,
			collateral,
			fee_burned: burned,
		});
		Ok(())
	}

	pub(crate) fn do_renew(
		client: T::AccountId,
		id: ContractId,
		extra: Period,
		max_price: BalanceOf<T>,
	) -> DispatchResult {
		ensure!(extra > 0, Error::<T>::ZeroDuration);
		let mut contract = Contracts::<T>::get(id).ok_or(Error::<T>::UnknownContract)?;
		ensure!(contract.client == client, Error::<T>::NotClient);
		let ContractState::Active { start, end, next, misses, last_proven, deadline, partition } = contract.state
		else {
			return Err(Error::<T>::NotActive.into());
		};
		let params = Self::params();
		let offer = Offers::<T>::get(&contract.provider).ok_or(Error::<T>::UnknownOffer)?;
		let new_end = end.checked_add(extra).ok_or(Error::<T>::Overflow)?;
		let now = Self::window_of(frame_system::Pallet::<T>::block_number());
		ensure!(new_end.saturating_sub(next.max(now)) <= offer.max_duration, Error::<T>::DurationOutOfRange);
		let price = period_price(contract.size, offer.price_per_gib.saturated_into())
			.checked_mul(extra as u128)
			.ok_or(Error::<T>::Overflow)?;
		ensure!(price <= max_price.saturated_into::<u128>(), Error::<T>::PriceAboveMax);
		let fee = Self::market_fee(&params, price);
		let collateral: BalanceOf<T> = percent_of(price, params.collateral_percent).saturated_into();
		let price: BalanceOf<T> = price.saturated_into();
		let fee: BalanceOf<T> = fee.saturated_into();
		T::Currency::transfer(&client, &Self::pot(), price, Preservation::Preserve)
			.map_err(|_| Error::<T>::InsufficientBalance)?;
		let fee_burned = T::Currency::burn_from(&client, fee, Preservation::Preserve, Precision::Exact, Fortitude::Polite)
			.map_err(|_| Error::<T>::InsufficientBalance)?;
		T::Currency::hold(&HoldReason::Collateral.into(), &contract.provider, collateral)
			.map_err(|_| Error::<T>::InsufficientCollateral)?;
		contract.escrow = contract.escrow.saturating_add(price);
		contract.collateral = contract.collateral.saturating_add(collateral);
		contract.duration = contract.duration.saturating_add(extra);
		contract.state = ContractState::Active { start, end: new_end, next, misses, last_proven, deadline, partition };
		Contracts::<T>::insert(id, contract);
		Self::deposit_event(Event::ContractRenewed { id, end: new_end, escrow: price, collateral, fee_burned });
		Ok(())
	}

	/// Puts a newly accepted contract into the provider's open partition, or opens one in
	/// the next deadline (round robin) that has room. Returns `(deadline, index)`.
	fn assign_partition(provider: &T::AccountId, id: ContractId) -> Result<(u32, u32), DispatchError> {
		let params = Self::params();
		let deadlines = params.deadlines.max(1);
		let mut schedule = ProviderSchedules::<T>::get(provider).unwrap_or_default();
		if let Some((deadline, index)) = schedule.open {
			let pushed = Partitions::<T>::mutate((deadline, provider, index), |p| match p {
				Some(p) => p.contracts.try_push(id).is_ok(),
				None => false,
			});
			if pushed {
				return Ok((deadline, index));
			}
		}
		let max = params.schedule().deadline_len().saturating_mul(T::SettlePerBlock::get());
		let deadline = (0..deadlines)
			.map(|i| (schedule.next_deadline.saturating_add(i)) % deadlines)
			.find(|d| PartitionCount::<T>::get(d) < max)
			.ok_or(Error::<T>::DeadlinesFull)?;
		let index = schedule.next_index;
		let mut partition = PartitionOf::<T>::default();
		partition.contracts.try_push(id).map_err(|_| Error::<T>::DeadlinesFull)?;
		Partitions::<T>::insert((deadline, provider, index), partition);
		PartitionCount::<T>::mutate(deadline, |n| *n = n.saturating_add(1));
		schedule.open = Some((deadline, index));
		schedule.next_index = index.checked_add(1).ok_or(Error::<T>::Overflow)?;
		schedule.next_deadline = (deadline + 1) % deadlines;
		schedule.partitions = schedule.partitions.saturating_add(1);
		ProviderSchedules::<T>::insert(provider, schedule);
		Ok((deadline, index))
	}

	/// Takes a contract out of its partition, removing the partition once it is empty.
	fn leave_partition(provider: &T::AccountId, deadline: u32, index: u32, id: ContractId) {
		let key = (deadline, provider, index);
		let Some(mut partition) = Partitions::<T>::get(&key) else { return };
		partition.contracts.retain(|c| *c != id);
		if !partition.contracts.is_empty() {
			return Partitions::<T>::insert(&key, partition);
		}
		Partitions::<T>::remove(&key);
		PartitionCount::<T>::mutate_exists(deadline, |n| Self::decrement(n));
		ProviderSchedules::<T>::mutate_exists(provider, |s| {
			if let Some(schedule) = s {
				if schedule.open == Some((deadline, index)) {
					schedule.open = None;
				}
				schedule.partitions = schedule.partitions.saturating_sub(1);
				if schedule.partitions == 0 {
					*s = None;
				}
			}
		});
	}

	pub(crate) fn decrement(n: &mut Option<u32>) {
		if let Some(v) = n {
			*v = v.saturating_sub(1);
			if *v == 0 {
				*n = None;
			}
		}
	}

	/// Removes a pending contract. The escrow and fee return to the client; the
	/// reservation goes to the provider if `pay_reservation`, else back to the client.
	/// Returns what the provider got.
	pub(crate) fn drop_pending(id: ContractId, contract: &ContractOf<T>, pay_reservation: bool) -> BalanceOf<T> {
		let paid = if pay_reservation {
			Self::move_held(HoldReason::Escrow, &contract.client, &contract.provider, contract.reservation)
		} else {
			Zero::zero()
		};
		Self::release_escrow(
			&contract.client,
			contract.escrow.saturating_add(contract.fee).saturating_add(contract.reservation.saturating_sub(paid)),
		);
		ProviderPending::<T>::mutate(&contract.provider, |p| p.retain(|c| *c != id));
		ClientPending::<T>::mutate_exists(&contract.client, |n| Self::decrement(n));
		Self::forget(id, contract);
		paid
	}

	/// Removes a contract, its file entry and its share of the provider's capacity.
	fn forget(id: ContractId, contract: &ContractOf<T>) {
		Contracts::<T>::remove(id);
		Offers::<T>::mutate(&contract.provider, |o| {
			if let Some(o) = o {
				o.used = o.used.saturating_sub(contract.size);
			}
		});
		FileContracts::<T>::mutate_exists(&contract.client, contract.manifest, |f| {
			if let Some(list) = f {
				list.retain(|c| *c != id);
				if list.is_empty() {
					*f = None;
				}
			}
		});
	}

	/// Refunds up to `MaxExpiriesPerBlock` pending contracts whose acceptance window
	/// closed by `now`, from the head of the expiry queue; returns how many it looked at.
	pub(crate) fn expire_pending(now: BlockNumberFor<T>) -> u32 {
		let (mut head, tail) = (ExpiryHead::<T>::get(), ExpiryTail::<T>::get());
		let mut visited = 0;
		while head < tail && visited < T::MaxExpiriesPerBlock::get() {
			let Some(id) = ExpiryQueue::<T>::get(head) else {
				head += 1;
				visited += 1;
				continue;
			};
			match Contracts::<T>::get(id) {
				Some(contract) => match contract.state {
					ContractState::Pending { accept_by } if accept_by > now => break,
					ContractState::Pending { .. } => {
						let reservation = Self::drop_pending(id, &contract, true);
						Self::deposit_event(Event::ContractExpired { id, reservation });
					},
					ContractState::Active { .. } => {},
				},
				None => {},
			}
			ExpiryQueue::<T>::remove(head);
			head += 1;
			visited += 1;
		}
		ExpiryHead::<T>::put(head);
		visited
	}

	/// The share of `total` that belongs to one of `windows` windows.
	fn share(total: BalanceOf<T>, windows: Period) -> BalanceOf<T> {
		(total.saturated_into::<u128>() / (windows.max(1) as u128)).saturated_into()
	}

	/// Settles every window of contract `id` before `window` that was not settled as missed
	/// (the settlement of a deadline could not run), then `window` itself: paid if
	/// `proven`, missed otherwise. Returns what the provider is owed from the pot and what
	/// the block author earns, for the caller to pay once per partition.
	fn settle_window(id: ContractId, window: Period, proven: bool) -> (BalanceOf<T>, BalanceOf<T>) {
		let zero = (Zero::zero(), Zero::zero());
		let Some(mut contract) = Contracts::<T>::get(id) else { return zero };
		loop {
			let ContractState::Active { end, next, .. } = contract.state else { return zero };
			if next >= end || next > window {
				return zero;
			}
			if next < window {
				match Self::miss(id, contract, next) {
					Some(c) => contract = c,
					None => return zero,
				}
				continue;
			}
			return if proven { Self::pay(id, contract, window) } else {
				Self::miss(id, contract, window);
				zero
			};
		}
	}

	/// Settles window `window` of an active contract whose `next` is `window` as paid;
	/// returns (owed to the provider, earned by the block author).
	fn pay(id: ContractId, mut contract: ContractOf<T>, window: Period) -> (BalanceOf<T>, BalanceOf<T>) {
		let ContractState::Active { start, end, deadline, partition, .. } = contract.state else {
			return (Zero::zero(), Zero::zero());
		};
		let left = end - window;
		let paid = Self::share(contract.escrow, left);
		let minted = Self::share(contract.mint, left);
		contract.escrow = contract.escrow.saturating_sub(paid);
		contract.mint = contract.mint.saturating_sub(minted);
		contract.state = ContractState::Active {
			start,
			end,
			next: window + 1,
			misses: 0,
			last_proven: Some(window),
			deadline,
			partition,
		};
		if window + 1 >= end {
			Self::complete(id, contract);
		} else {
			Contracts::<T>::insert(id, contract);
		}
		(paid, minted)
	}

	/// Window `window` of an active contract whose `next` is `window` was not proven:
	/// refunds its share, takes the fault fee from the collateral, ends the contract after
	/// `max_missed` misses in a row. Returns the contract if it goes on.
	fn miss(id: ContractId, mut contract: ContractOf<T>, window: Period) -> Option<ContractOf<T>> {
		let ContractState::Active { start, end, misses, last_proven, deadline, partition, .. } = contract.state else {
			return None;
		};
		let params = Self::params();
		let left = end - window;
		let refunded = Self::share(contract.escrow, left);
		let forfeited = Self::share(contract.mint, left);
		// The fault fee first: it keeps a client's emptied account alive for the refund.
		let fee = refunded.saturating_mul(params.fault_fee_windows.into()).min(contract.collateral);
		let fault_fee = Self::move_held(HoldReason::Collateral, &contract.provider, &contract.client, fee);
		Self::pay_out(&contract.client, refunded);
		contract.escrow = contract.escrow.saturating_sub(refunded);
		contract.mint = contract.mint.saturating_sub(forfeited);
		contract.collateral = contract.collateral.saturating_sub(fault_fee);
		let misses = misses.saturating_add(1);
		contract.state =
			ContractState::Active { start, end, next: window + 1, misses, last_proven, deadline, partition };
		Self::deposit_event(Event::WindowMissed { id, window, refunded, fault_fee, misses });
		if misses >= params.max_missed {
			let collateral =
				Self::move_held(HoldReason::Collateral, &contract.provider, &contract.client, contract.collateral);
			Self::pay_out(&contract.client, contract.escrow);
			Self::end_active(id, &contract);
			Self::deposit_event(Event::FragmentLost {
				id,
				provider: contract.provider,
				client: contract.client,
				manifest: contract.manifest,
				root: contract.root,
				collateral,
			});
			None
		} else if window + 1 >= end {
			Self::complete(id, contract);
			None
		} else {
			Contracts::<T>::insert(id, contract.clone());
			Some(contract)
		}
	}

	/// The contract ran its course: the collateral returns to the provider.
	fn complete(id: ContractId, contract: ContractOf<T>) {
		Self::pay_out(&contract.client, contract.escrow);
		let collateral = contract.collateral;
		if !collateral.is_zero() {
			if let Err(e) = T::Currency::release(
				&HoldReason::Collateral.into(),
				&contract.provider,
				collateral,
				Precision::BestEffort,
			) {
				log::error!(target: "runtime::storage", "collateral of {:?} not released: {e:?}", contract.provider);
			}
		}
		Self::end_active(id, &contract);
		Self::deposit_event(Event::ContractCompleted { id, collateral });
	}

	/// Removes an active contract from its partition, the root count and the books.
	fn end_active(id: ContractId, contract: &ContractOf<T>) {
		if let ContractState::Active { deadline, partition, .. } = contract.state {
			Self::leave_partition(&contract.provider, deadline, partition, id);
		}
		RootRefs::<T>::mutate_exists(contract.root, |n| Self::decrement(n));
		ActiveContracts::<T>::mutate(|n| *n = n.saturating_sub(1));
		Self::forget(id, contract);
	}

	/// The contracts of a partition due in `window`.
	fn due_contracts(partition: &PartitionOf<T>, window: Period) -> Vec<(ContractId, ContractOf<T>)> {
		partition
			.contracts
			.iter()
			.filter_map(|id| Contracts::<T>::get(id).map(|c| (*id, c)))
			.filter(|(_, c)| match c.state {
				ContractState::Active { start, end, next, .. } => start <= window && window < end && next <= window,
				_ => false,
			})
			.collect()
	}

	/// Checks the invariants: holds equal the sums of what they hold for, capacity used
	/// equals the sizes of live contracts, partitions and counters agree.
	#[cfg(any(feature = "try-runtime", feature = "std"))]
	pub fn do_try_state() -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
		use alloc::collections::BTreeMap;
		use polkadot_sdk::frame_support::traits::fungible::InspectHold;
		let mut escrow: BTreeMap<T::AccountId, u128> = BTreeMap::new();
		let mut in_pot = 0u128;
		let mut collateral: BTreeMap<T::AccountId, u128> = BTreeMap::new();
		let mut used: BTreeMap<T::AccountId, u64> = BTreeMap::new();
		let mut active = 0u64;
		for (id, c) in Contracts::<T>::iter() {
			match c.state {
				ContractState::Pending { .. } => {
					let held = c.escrow.saturating_add(c.fee).saturating_add(c.reservation);
					*escrow.entry(c.client.clone()).or_default() += held.saturated_into::<u128>();
				},
				ContractState::Active { .. } => in_pot += c.escrow.saturated_into::<u128>(),
			}
			*collateral.entry(c.provider.clone()).or_default() += c.collateral.saturated_into::<u128>();
			*used.entry(c.provider.clone()).or_default() += c.size;
			if let ContractState::Active { deadline, partition, .. } = c.state {
				active += 1;
				let p = Partitions::<T>::get((deadline, &c.provider, partition)).ok_or("active contract without partition")?;
				ensure!(p.contracts.contains(&id), "active contract missing from its partition");
			}
		}
		for (who, sum) in escrow {
			let held = T::Currency::balance_on_hold(&HoldReason::Escrow.into(), &who).saturated_into::<u128>();
			ensure!(held == sum, "escrow hold differs from the sum of the client's pending contracts");
		}
		// At least: anyone may send the pot a gift, which stays there.
		let pot = T::Currency::balance(&Self::pot()).saturated_into::<u128>();
		let ed = T::Currency::minimum_balance().saturated_into::<u128>();
		ensure!(in_pot == 0 || pot >= ed.saturating_add(in_pot), "the pot holds less than the escrow of active contracts");
		for (who, sum) in collateral {
			let held = T::Currency::balance_on_hold(&HoldReason::Collateral.into(), &who).saturated_into::<u128>();
			ensure!(held == sum, "collateral hold differs from the sum of the provider's contracts");
		}
		for (who, offer) in Offers::<T>::iter() {
			ensure!(offer.used == used.get(&who).copied().unwrap_or(0), "offer's used differs from its contracts");
		}
		ensure!(active == ActiveContracts::<T>::get(), "ActiveContracts differs from the active contracts");
		let mut per_deadline: BTreeMap<u32, u32> = BTreeMap::new();
		for ((deadline, _, _), p) in Partitions::<T>::iter() {
			ensure!(!p.contracts.is_empty(), "empty partition kept");
			*per_deadline.entry(deadline).or_default() += 1;
		}
		for (deadline, count) in PartitionCount::<T>::iter() {
			ensure!(per_deadline.get(&deadline).copied().unwrap_or(0) == count, "PartitionCount differs");
		}
		Ok(())
	}
}

impl<T: Config> StorageMarket<T::AccountId> for Pallet<T> {
	fn schedule() -> cairn_primitives::traits::ProvingSchedule {
		Self::params().schedule()
	}

	fn due(p: &PartitionRef<T::AccountId>, window: Period) -> Option<Vec<ProvableFragment>> {
		let partition = Partitions::<T>::get((p.deadline, &p.provider, p.index))?;
		Some(
			Self::due_contracts(&partition, window)
				.into_iter()
				.map(|(id, c)| ProvableFragment { contract: id, root: c.root, size: c.size, segment_size: c.segment_size })
				.collect(),
		)
	}

	fn answered(p: &PartitionRef<T::AccountId>, window: Period) -> bool {
		Partitions::<T>::get((p.deadline, &p.provider, p.index)).is_some_and(|p| p.proven == Some(window))
	}

	fn partitions_of(provider: &T::AccountId, deadline: u32) -> Vec<u32> {
		Partitions::<T>::iter_key_prefix((deadline, provider)).collect()
	}

	fn record_proofs(p: &PartitionRef<T::AccountId>, window: Period, proven: &[bool]) {
		let key = (p.deadline, &p.provider, p.index);
		let Some(mut partition) = Partitions::<T>::get(&key) else { return };
		let due = Self::due_contracts(&partition, window);
		partition.proven = Some(window);
		Partitions::<T>::insert(&key, partition);
		let (mut paid, mut minted, mut count, mut faulty) = (BalanceOf::<T>::zero(), BalanceOf::<T>::zero(), 0, 0);
		for ((id, _), ok) in due.into_iter().zip(proven.iter().copied().chain(core::iter::repeat(false))) {
			if ok {
				let (p, m) = Self::settle_window(id, window, true);
				paid = paid.saturating_add(p);
				minted = minted.saturating_add(m);
				count += 1;
			} else {
				Self::settle_window(id, window, false);
				faulty += 1;
			}
		}
		// One transfer and one mint for the whole partition: its contracts share a provider.
		let paid = Self::pay_out(&p.provider, paid);
		T::Ledger::on_proven(minted);
		Self::deposit_event(Event::PartitionProven {
			provider: p.provider.clone(),
			deadline: p.deadline,
			partition: p.index,
			window,
			proven: count,
			faulty,
			paid,
			minted,
		});
	}

	fn next_partition(deadline: u32, after: Option<&[u8]>) -> Option<(PartitionRef<T::AccountId>, Vec<u8>)> {
		let mut keys = match after {
			Some(raw) => Partitions::<T>::iter_key_prefix_from((deadline,), raw.to_vec()),
			None => Partitions::<T>::iter_key_prefix((deadline,)),
		};
		let (provider, index) = keys.next()?;
		let raw = Partitions::<T>::hashed_key_for((deadline, &provider, index));
		Some((PartitionRef { provider, deadline, index }, raw))
	}

	fn settle_unanswered(p: &PartitionRef<T::AccountId>, window: Period) -> u32 {
		let Some(partition) = Partitions::<T>::get((p.deadline, &p.provider, p.index)) else { return 0 };
		if partition.proven == Some(window) {
			return 0;
		}
		let due = Self::due_contracts(&partition, window);
		let count = due.len() as u32;
		for (id, _) in due {
			Self::settle_window(id, window, false);
		}
		count
	}

	fn max_partition_size() -> u32 {
		T::MaxPartitionSize::get()
	}

	fn settle_weight(contracts: u32) -> Weight {
		T::WeightInfo::settle_partition(contracts)
	}
}

#[cfg(feature = "runtime-benchmarks")]
impl<T: Config> Pallet<T> {
	/// Active contracts of `provider`, one per root (at most a partition), each with a
	/// client of its own, in a new partition of deadline 0, made without the calls: for
	/// the proofs pallet's benchmarks. Each is due in the next window only, and is
	/// escrowed, collateralised and earns minting as if accepted, so proving that window
	/// takes the market's costliest path for a proven contract: it is paid and completes.
	/// Returns the partition's index.
	pub fn insert_active_contracts(
		provider: &T::AccountId,
		count: u32,
		size: u64,
		segment_size: u32,
		root_of: &dyn Fn(ContractId) -> [u8; 32],
	) -> u32 {
		use polkadot_sdk::sp_runtime::traits::Bounded;
		let escrow: BalanceOf<T> = 1_000_000u32.into();
		let count = count.min(T::MaxPartitionSize::get());
		let roots = alloc::vec![[0; 32]; count as usize];
		T::Currency::set_balance(provider, BalanceOf::<T>::max_value() / 1_000u32.into());
		let collateral = escrow.saturating_mul(2u32.into());
		T::Currency::hold(&HoldReason::Collateral.into(), provider, collateral.saturating_mul(count.into()))
			.expect("funded");
		Self::fund_pot();
		T::Currency::mint_into(&Self::pot(), escrow.saturating_mul(count.into())).expect("minted");
		let next = Self::window_of(frame_system::Pallet::<T>::block_number()) + 1;
		let index = Self::insert_contracts_in(0, provider, &roots, size, segment_size, |i, id, contract| {
			let client: T::AccountId = polkadot_sdk::frame_benchmarking::account("client", i, 0);
			contract.root = root_of(id);
			T::Currency::set_balance(&client, T::Currency::minimum_balance());
			FileContracts::<T>::insert(&client, contract.manifest, BoundedVec::truncate_from(alloc::vec![id]));
			RootRefs::<T>::mutate(contract.root, |n| *n += 1);
			contract.client = client;
			contract.escrow = escrow;
			contract.collateral = collateral;
			contract.mint = 1_000u32.into();
			contract.state = ContractState::Active {
				start: next,
				end: next + 1,
				next,
				misses: 0,
				last_proven: None,
				deadline: 0,
				partition: 0,
			};
		});
		index
	}

	/// `count` contracts in partitions of `provider`'s in `deadline`, `edit`ed after
	/// they are made (the partition index in their state is set after); returns the
	/// last partition's index.
	fn insert_contracts_in(
		deadline: u32,
		provider: &T::AccountId,
		roots: &[[u8; 32]],
		size: u64,
		segment_size: u32,
		mut edit: impl FnMut(u32, ContractId, &mut ContractOf<T>),
	) -> u32 {
		let mut schedule = ProviderSchedules::<T>::get(provider).unwrap_or_default();
		let index = schedule.next_index;
		let window = Self::window_of(frame_system::Pallet::<T>::block_number());
		let mut partition = PartitionOf::<T>::default();
		let count = (roots.len() as u32).min(T::MaxPartitionSize::get());
		for (i, root) in roots.iter().take(count as usize).enumerate() {
			let id = NextContractId::<T>::mutate(|id| {
				*id += 1;
				*id - 1
			});
			let mut contract = Contract {
				client: provider.clone(),
				provider: provider.clone(),
				manifest: [0; 32],
				root: *root,
				size,
				segment_size,
				duration: 10,
				escrow: Zero::zero(),
				fee: Zero::zero(),
				reservation: Zero::zero(),
				collateral: Zero::zero(),
				mint: Zero::zero(),
				state: ContractState::Active {
					start: window,
					end: window + 10,
					next: window,
					misses: 0,
					last_proven: None,
					deadline,
					partition: index,
				},
			};
			edit(i as u32, id, &mut contract);
			if let ContractState::Active { deadline: d, partition: p, .. } = &mut contract.state {
				(*d, *p) = (deadline, index);
			}
			Contracts::<T>::insert(id, contract);
			let _ = partition.contracts.try_push(id);
		}
		Partitions::<T>::insert((deadline, provider, index), partition);
		PartitionCount::<T>::mutate(deadline, |n| *n += 1);
		schedule.open = Some((deadline, index));
		schedule.next_index = index + 1;
		schedule.partitions += 1;
		ProviderSchedules::<T>::insert(provider, schedule);
		ActiveContracts::<T>::mutate(|n| *n += count as u64);
		index
	}

	/// `count` contracts of other providers in deadline 1, so that a benchmark of deadline
	/// 0 runs over a chain with that many contracts in storage.
	pub fn insert_background_contracts(count: u32) {
		let size = T::MaxPartitionSize::get();
		let mut left = count;
		let mut i = 0u32;
		while left > 0 {
			let provider: T::AccountId = polkadot_sdk::frame_benchmarking::account("background", i, 0);
			let n = left.min(size);
			let roots: Vec<[u8; 32]> = (0..n).map(|j| cairn_primitives::blake2_256(&(i, j).encode())).collect();
			Self::insert_contracts_in(1, &provider, &roots, 1 << 20, 1024, |_, _, _| {});
			left -= n;
			i += 1;
		}
	}
}
