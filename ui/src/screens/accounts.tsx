// Accounts: the page's accounts and their balances (free, and held by reason: escrow,
// bonds, collateral), adding accounts, and transfers with the fee shown before signing.

import { useEffect, useState } from 'preact/hooks';
import { extensionAccounts, mnemonicAccount } from '../accounts';
import type { ScreenProps } from '../app';
import { formatAmount, parseAmount, shortAddress } from '../chain';
import { TxStatus, useSubscription, useTx } from '../widgets';

interface Balance {
  free: bigint;
  reserved: bigint;
  frozen: bigint;
  holds: { reason: string; amount: bigint }[];
}

/** The balances of `addresses`, kept current. */
function useBalances({ chain }: ScreenProps, addresses: string[]): Map<string, Balance> {
  const [balances, setBalances] = useState(new Map<string, Balance>());
  const key = addresses.join(',');
  useSubscription((alive) => {
    if (addresses.length === 0) return undefined;
    const { api } = chain;
    return api.query.system.account.multi(addresses, async (infos) => {
        const holds = await api.query.balances.holds.multi(addresses);
        const next = new Map<string, Balance>();
        infos.forEach((info, i) => {
          next.set(addresses[i], {
            free: info.data.free.toBigInt(),
            reserved: info.data.reserved.toBigInt(),
            frozen: info.data.frozen.toBigInt(),
            holds: holds[i].map((h) => ({ reason: holdReason(h.id.toHuman()), amount: h.amount.toBigInt() })),
          });
        });
        if (alive()) setBalances(next);
    });
  }, [chain, key]);
  return balances;
}

/** `{ Storage: 'Escrow' }` as `Storage: escrow`. */
function holdReason(human: unknown): string {
  if (human && typeof human === 'object') {
    const [pallet, reason] = Object.entries(human as Record<string, unknown>)[0] ?? [];
    if (pallet) return `${pallet}: ${String(reason).replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()}`;
  }
  return String(human);
}

export function AccountsScreen(props: ScreenProps) {
  const { chain, accounts, account, select, addAccounts } = props;
  const balances = useBalances(props, accounts.map((a) => a.address));
  const [notice, setNotice] = useState<string>();
  const ss58 = chain.api.registry.chainSS58 ?? 42;
  const hasPageKeys = accounts.some((a) => a.pair);

  const connectExtension = async () => {
    try {
      const found = await extensionAccounts(ss58);
      setNotice(found.length ? `${found.length} account(s) from the extension` : 'No extension gave accounts to this page.');
      addAccounts(found);
    } catch (e) {
      setNotice(`The extension refused: ${e instanceof Error ? e.message : e}`);
    }
  };

  return (
    <section>
      <h2>Accounts</h2>
      {hasPageKeys && (
        <p class="warning">
          Development and mnemonic accounts are kept only in this page, in memory: anyone who can run code in it
          can use them. Use a browser extension for real funds.
        </p>
      )}
      <table data-testid="accounts">
        <thead>
          <tr>
            <th>Name</th>
            <th>Address</th>
            <th>Source</th>
            <th class="num">Free</th>
            <th class="num">Held</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {accounts.map((a) => {
            const b = balances.get(a.address);
            return (
              <tr class={a.address === account?.address ? 'selected' : ''} data-address={a.address}>
                <td>{a.name}</td>
                <td title={a.address}>{shortAddress(a.address)}</td>
                <td>{a.source}</td>
                <td class="num" data-testid="free">
                  {b ? formatAmount(b.free, chain.token) : '…'}
                </td>
                <td class="num">{b ? formatAmount(b.reserved, chain.token) : '…'}</td>
                <td>
                  <button onClick={() => select(a.address)} disabled={a.address === account?.address}>
                    Use
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <div class="row">
        <button onClick={connectExtension}>Connect a browser extension</button>
        <MnemonicForm onAccount={(a) => (addAccounts([a]), select(a.address))} ss58={ss58} />
      </div>
      {notice && <p class="notice">{notice}</p>}
      {account && <AccountDetails {...props} balance={balances.get(account.address)} />}
    </section>
  );
}

function MnemonicForm({ onAccount, ss58 }: { onAccount: (a: import('../accounts').Account) => void; ss58: number }) {
  const [phrase, setPhrase] = useState('');
  const [error, setError] = useState<string>();
  const add = async (e: Event) => {
    e.preventDefault();
    try {
      onAccount(await mnemonicAccount(phrase, 'mnemonic', ss58));
      setPhrase('');
      setError(undefined);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  return (
    <form onSubmit={add} class="inline">
      <label>
        Mnemonic{' '}
        <input
          type="password"
          name="mnemonic"
          placeholder="kept in this page only"
          value={phrase}
          onInput={(e) => setPhrase((e.target as HTMLInputElement).value)}
          autocomplete="off"
        />
      </label>
      <button type="submit">Import</button>
      {error && <span class="error">{error}</span>}
    </form>
  );
}

function AccountDetails(props: ScreenProps & { balance: Balance | undefined }) {
  const { chain, account, balance } = props;
  if (!account) return null;
  return (
    <div class="card" data-testid="account-details">
      <h3>
        {account.name} <small>{account.address}</small>
      </h3>
      {balance ? (
        <dl class="balances">
          <dt>Free</dt>
          <dd data-testid="balance-free">{formatAmount(balance.free, chain.token)}</dd>
          <dt>Frozen (locks)</dt>
          <dd>{formatAmount(balance.frozen, chain.token)}</dd>
          <dt>Held</dt>
          <dd>{formatAmount(balance.reserved, chain.token)}</dd>
          {balance.holds.map((h) => (
            <>
              <dt class="sub">{h.reason}</dt>
              <dd>{formatAmount(h.amount, chain.token)}</dd>
            </>
          ))}
        </dl>
      ) : (
        <p>Loading balances…</p>
      )}
      <Transfer {...props} />
    </div>
  );
}

function Transfer({ chain, account, accounts }: ScreenProps) {
  const [to, setTo] = useState('');
  const [amount, setAmount] = useState('');
  const [fee, setFee] = useState<string>();
  const { progress, busy, run } = useTx(chain);
  const { api, token } = chain;

  /** The transfer as typed, or why it cannot be made. */
  const build = () => {
    const dest = accounts.find((a) => a.name.toLowerCase() === to.trim().toLowerCase())?.address ?? to.trim();
    if (!dest) throw new Error('give the address to send to');
    try {
      api.createType('AccountId', dest);
    } catch {
      throw new Error(`"${to}" is not an address`);
    }
    return api.tx.balances.transferKeepAlive(dest, parseAmount(amount, token));
  };

  // The fee, estimated as the user types, before anything is signed.
  useEffect(() => {
    if (!account || !to || !amount) return setFee(undefined);
    let current = true;
    const timer = setTimeout(async () => {
      try {
        const info = await build().paymentInfo(account.address);
        if (current) setFee(`Fee ≈ ${formatAmount(info.partialFee.toBigInt(), token)}`);
      } catch (e) {
        if (current) setFee(e instanceof Error ? e.message : String(e));
      }
    }, 250);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [account?.address, to, amount]);

  return (
    <form
      class="transfer"
      onSubmit={(e) => {
        e.preventDefault();
        void run(account, build);
      }}
    >
      <h4>Send</h4>
      <label>
        To{' '}
        <input
          name="to"
          placeholder="an address or a name above"
          value={to}
          onInput={(e) => setTo((e.target as HTMLInputElement).value)}
        />
      </label>
      <label>
        Amount ({token.symbol}){' '}
        <input
          name="amount"
          placeholder="0.5"
          value={amount}
          onInput={(e) => setAmount((e.target as HTMLInputElement).value)}
        />
      </label>
      <button type="submit" disabled={busy}>
        Sign and send
      </button>
      <span class="fee" data-testid="fee">
        {fee}
      </span>
      <TxStatus progress={progress} testid="transfer-status" />
    </form>
  );
}
