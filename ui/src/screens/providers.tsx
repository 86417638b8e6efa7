// Providers: the storage market (offers, prices, free capacity, bonds, endpoints), and
// for the account in use, its own offer to set or withdraw and what it stores.

import { useEffect, useState } from 'preact/hooks';
import type { ScreenProps } from '../app';
import type { Provider } from '../chain';
import { accountLabel, formatAmount, formatBytes, parseAmount, providers } from '../chain';
import { TxStatus, useTx } from '../widgets';
import { Holdings } from './holdings';

const GIB = 1024 ** 3;

export function ProvidersScreen(props: ScreenProps) {
  const { chain, heads } = props;
  const [market, setMarket] = useState<Provider[]>();
  const [error, setError] = useState<string>();

  // Read again at every finalized block: offers change with transactions.
  useEffect(() => {
    let current = true;
    providers(chain)
      .then((list) => current && (setMarket(list), setError(undefined)))
      .catch((e: unknown) => current && setError(`cairn_providers failed: ${e instanceof Error ? e.message : e}`));
    return () => {
      current = false;
    };
  }, [chain, heads.finalized]);

  return (
    <section>
      <h2>Storage market</h2>
      {error && <p class="error">{error}</p>}
      {market === undefined ? (
        <p>Loading offers…</p>
      ) : market.length === 0 ? (
        <p data-testid="no-providers">No provider offers storage yet.</p>
      ) : (
        <table data-testid="market">
          <thead>
            <tr>
              <th>Provider</th>
              <th class="num">Price per GiB and window</th>
              <th class="num">Free of capacity</th>
              <th>Durations (windows)</th>
              <th class="num">Bond</th>
              <th>Reachable at</th>
            </tr>
          </thead>
          <tbody>
            {market.map((p) => (
              <tr data-account={p.account}>
                <td title={p.account}>{accountLabel(p.account, props.accounts)}</td>
                <td class="num">{formatAmount(p.pricePerGib, chain.token)}</td>
                <td class="num">
                  <Meter used={p.used} capacity={p.capacity} />
                  {formatBytes(p.capacity - p.used)} of {formatBytes(p.capacity)}
                </td>
                <td>
                  {p.minDuration}–{p.maxDuration}
                </td>
                <td class="num">{formatAmount(p.bond, chain.token)}</td>
                <td title={p.endpoint?.addresses.join('\n')}>
                  {p.endpoint ? `${p.endpoint.addresses.length} address(es)` : 'no endpoint'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <MyOffer {...props} mine={market?.find((p) => p.account === props.account?.address)} />
      <Holdings {...props} />
    </section>
  );
}

/** A capacity bar: used in the provider's colour, free in grey. */
function Meter({ used, capacity }: { used: number; capacity: number }) {
  const share = capacity > 0 ? Math.min(1, used / capacity) : 0;
  return (
    <svg class="meter" width="60" height="8" role="img" aria-label={`${Math.round(share * 100)}% used`}>
      <rect width="60" height="8" rx="2" class="free" />
      <rect width={60 * share} height="8" rx="2" class="used" />
    </svg>
  );
}

function MyOffer({ chain, account, mine }: ScreenProps & { mine: Provider | undefined }) {
  const { api, token } = chain;
  const [price, setPrice] = useState('0.01');
  const [capacity, setCapacity] = useState('1');
  const [minDuration, setMinDuration] = useState('1');
  const [maxDuration, setMaxDuration] = useState('1000');
  const { progress, busy, run } = useTx(chain);

  if (!account) return <p>Choose an account (top right) to offer storage from it.</p>;

  const setOffer = () => {
    const gib = Number(capacity);
    if (!Number.isFinite(gib) || gib <= 0) throw new Error(`"${capacity}" GiB is not a capacity`);
    const [min, max] = [Number(minDuration), Number(maxDuration)];
    if (!Number.isInteger(min) || !Number.isInteger(max) || min < 1 || max < min) {
      throw new Error('durations are whole windows, at least 1, the shortest first');
    }
    return api.tx.storage.setOffer(parseAmount(price, token), BigInt(Math.round(gib * GIB)), min, max);
  };

  return (
    <div class="card" data-testid="my-offer">
      <h3>Your offer ({account.name})</h3>
      {mine ? (
        <p data-testid="my-offer-state">
          Offering {formatBytes(mine.capacity)} at {formatAmount(mine.pricePerGib, token)} per GiB and window;{' '}
          {formatBytes(mine.used)} taken; bond {formatAmount(mine.bond, token)}.
        </p>
      ) : (
        <p data-testid="my-offer-state">This account offers no storage.</p>
      )}
      <form
        class="offer"
        onSubmit={(e) => {
          e.preventDefault();
          void run(account, setOffer);
        }}
      >
        <label>
          Price per GiB and window ({token.symbol}) <input name="price" value={price} onInput={(e) => setPrice((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          Capacity (GiB) <input name="capacity" value={capacity} onInput={(e) => setCapacity((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          Windows, from <input name="min" value={minDuration} onInput={(e) => setMinDuration((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          to <input name="max" value={maxDuration} onInput={(e) => setMaxDuration((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit" disabled={busy}>
          {mine ? 'Change the offer' : 'Offer storage'}
        </button>
        <button type="button" disabled={busy} onClick={() => void run(account, () => api.tx.storage.removeOffer())}>
          Withdraw the offer
        </button>
      </form>
      <TxStatus progress={progress} testid="offer-status" />
    </div>
  );
}
