// Files: what storing a file costs (a quote with k, n, duration and price before paying),
// the files of the account in use with each fragment's provider, contract state, last
// proof and misses, and renewing or cancelling their contracts.

import { useEffect, useState } from 'preact/hooks';
import type { ScreenProps } from '../app';
import type { Contract, Provider, Quote } from '../chain';
import { accountLabel, fileStatus, formatAmount, formatBytes, providers, quote, rpcMessage, shortAddress } from '../chain';
import { TxStatus, useTx } from '../widgets';

const MIB = 1024 * 1024;
const GIB = 1024n ** 3n;

export function FilesScreen(props: ScreenProps) {
  return (
    <section>
      <h2>Files</h2>
      <QuoteForm {...props} />
      <MyFiles {...props} />
    </section>
  );
}

function QuoteForm({ chain, accounts }: ScreenProps) {
  const [size, setSize] = useState('1');
  const [k, setK] = useState('3');
  const [n, setN] = useState('10');
  const [duration, setDuration] = useState('60');
  const [result, setResult] = useState<Quote>();
  const [error, setError] = useState<string>();

  const ask = async (e: Event) => {
    e.preventDefault();
    setResult(undefined);
    setError(undefined);
    const numbers = [Number(size), Number(k), Number(n), Number(duration)];
    if (numbers.some((x) => !Number.isFinite(x) || x <= 0) || ![k, n, duration].every((x) => /^\d+$/.test(x.trim()))) {
      return setError('size is a positive number of MiB; k, n and the duration are whole numbers, at least 1');
    }
    try {
      setResult(await quote(chain, Math.round(numbers[0] * MIB), numbers[1], numbers[2], numbers[3]));
    } catch (err) {
      setError(rpcMessage(err));
    }
  };

  return (
    <div class="card" data-testid="quote">
      <h3>What storing a file costs</h3>
      <form class="inline" onSubmit={ask}>
        <label>
          Size (MiB) <input name="size" value={size} onInput={(e) => setSize((e.target as HTMLInputElement).value)} />
        </label>
        <label title="fragments that restore the file">
          k <input name="k" size={3} value={k} onInput={(e) => setK((e.target as HTMLInputElement).value)} />
        </label>
        <label title="fragments made, one per provider">
          n <input name="n" size={3} value={n} onInput={(e) => setN((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          Windows <input name="duration" size={5} value={duration} onInput={(e) => setDuration((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit">Quote</button>
      </form>
      {error && (
        <p class="error" data-testid="quote-error">
          {error}
        </p>
      )}
      {result && (
        <div data-testid="quote-result">
          <p>
            {result.fragments.length} fragments of {formatBytes(result.fragmentSize)} for {result.duration} windows:{' '}
            <b data-testid="quote-total">{formatAmount(result.total, chain.token)}</b> to the providers, plus{' '}
            {formatAmount(result.fees, chain.token)} market fees and {formatAmount(result.reservations, chain.token)}{' '}
            reservation fees.
          </p>
          <table>
            <thead>
              <tr>
                <th>Fragment</th>
                <th>Provider</th>
                <th class="num">Price</th>
              </tr>
            </thead>
            <tbody>
              {result.fragments.map((f) => (
                <tr>
                  <td>{f.index}</td>
                  <td title={f.provider}>{accountLabel(f.provider, accounts)}</td>
                  <td class="num">{formatAmount(f.price, chain.token)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p class="muted">
            Uploading from the browser comes with the node's HTTP gateway. Until then, store a file on these terms with{' '}
            <code>
              cairn client put FILE --k {k} --n {n} --duration {result.duration} --suri …
            </code>
          </p>
        </div>
      )}
    </div>
  );
}

interface FileRow {
  manifest: string;
  contracts: Contract[];
}

function MyFiles(props: ScreenProps) {
  const { chain, account, heads } = props;
  const [files, setFiles] = useState<FileRow[]>();
  const [market, setMarket] = useState<Provider[]>([]);
  const [error, setError] = useState<string>();

  useEffect(() => {
    if (!account) return;
    let current = true;
    (async () => {
      const entries = await chain.api.query.storage.fileContracts.entries(account.address);
      const manifests = entries.map(([key]) => key.args[1].toHex());
      const rows = await Promise.all(
        manifests.map(async (manifest) => ({ manifest, contracts: await fileStatus(chain, account.address, manifest) })),
      );
      const offers = await providers(chain);
      if (current) {
        setFiles(rows.filter((r) => r.contracts.length > 0));
        setMarket(offers);
        setError(undefined);
      }
    })().catch((e: unknown) => current && setError(`cannot read the files: ${rpcMessage(e)}`));
    return () => {
      current = false;
    };
  }, [chain, account?.address, heads.finalized]);

  if (!account) return <p>Choose an account (top right) to see its files.</p>;
  return (
    <div data-testid="my-files">
      <h3>Files of {account.name}</h3>
      {error && <p class="error">{error}</p>}
      {files === undefined ? (
        <p>Loading…</p>
      ) : files.length === 0 ? (
        <p data-testid="no-files">No file of this account is under contract.</p>
      ) : (
        files.map((f) => <FileCard {...props} file={f} market={market} />)
      )}
    </div>
  );
}

/** A fragment's state as its colour in the grid, and in words. */
function fragmentState(c: Contract): { kind: 'pending' | 'proven' | 'waiting' | 'missing'; words: string } {
  if (c.state === 'pending') return { kind: 'pending', words: `pending, to be accepted by block #${c.acceptBy}` };
  if ((c.misses ?? 0) > 0) return { kind: 'missing', words: `active, ${c.misses} window(s) missed in a row` };
  if (c.lastProven !== null) return { kind: 'proven', words: `active, proven in window ${c.lastProven}` };
  return { kind: 'waiting', words: 'active, not proven yet' };
}

function FileCard({ chain, account, accounts, file, market }: ScreenProps & { file: FileRow; market: Provider[] }) {
  const { progress, busy, run } = useTx(chain);
  const [extra, setExtra] = useState('10');
  const fragments = file.contracts.reduce((sum, c) => sum + c.size, 0);

  /** What renewing `c` by `windows` costs at its provider's price today (the pallet's `period_price`). */
  const renewalPrice = (c: Contract, windows: number): bigint | undefined => {
    const offer = market.find((p) => p.account === c.provider);
    if (!offer) return undefined;
    const perWindow = (BigInt(c.size) * BigInt(offer.pricePerGib) + GIB - 1n) / GIB;
    return perWindow * BigInt(windows);
  };

  /** `renew_contract` for `c` by the windows typed, paying at most today's price. */
  const renew = (c: Contract) => () => {
    const windows = Number(extra);
    if (!Number.isInteger(windows) || windows < 1) throw new Error(`"${extra}" is not a whole number of windows`);
    const price = renewalPrice(c, windows);
    if (price === undefined) throw new Error(`provider ${shortAddress(c.provider)} withdrew its offer: it cannot renew`);
    return chain.api.tx.storage.renewContract(c.id, windows, price);
  };

  return (
    <div class="card file" data-testid="file" data-manifest={file.manifest}>
      <h4>
        File <code title={file.manifest}>{file.manifest.slice(0, 18)}…</code>{' '}
        <small>
          {file.contracts.length} fragment(s), {formatBytes(fragments)} stored
        </small>
      </h4>
      <FragmentGrid contracts={file.contracts} />
      <table>
        <thead>
          <tr>
            <th>Contract</th>
            <th>Provider</th>
            <th>State</th>
            <th>Windows</th>
            <th class="num">Escrow left</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {file.contracts.map((c) => (
            <tr data-contract={c.id}>
              <td>#{c.id}</td>
              <td title={c.provider}>{accountLabel(c.provider, accounts)}</td>
              <td data-testid="contract-state">{fragmentState(c).words}</td>
              <td>{c.state === 'active' ? `${c.start}–${c.end}` : `${c.duration} from acceptance`}</td>
              <td class="num">{formatAmount(c.escrow, chain.token)}</td>
              <td>
                {c.state === 'pending' && account?.address === c.client && (
                  <button type="button" disabled={busy} onClick={() => void run(account, () => chain.api.tx.storage.cancelContract(c.id))}>
                    Cancel
                  </button>
                )}
                {c.state === 'active' && account?.address === c.client && (
                  <button type="button" disabled={busy} onClick={() => void run(account, renew(c))}>
                    Renew
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <label>
        Renew by <input name="extra" size={4} value={extra} onInput={(e) => setExtra((e.target as HTMLInputElement).value)} /> windows, at
        each provider's price today
      </label>
      <TxStatus progress={progress} testid="file-status" />
    </div>
  );
}

/** One square per fragment, by provider, coloured by state: a file's health at a glance. */
function FragmentGrid({ contracts }: { contracts: Contract[] }) {
  const size = 18;
  const perRow = 16;
  const rows = Math.ceil(contracts.length / perRow);
  return (
    <svg class="grid" width={Math.min(contracts.length, perRow) * (size + 4)} height={rows * (size + 4)} role="img" aria-label="fragments by state">
      {contracts.map((c, i) => {
        const state = fragmentState(c);
        return (
          <rect x={(i % perRow) * (size + 4)} y={Math.floor(i / perRow) * (size + 4)} width={size} height={size} rx={3} class={`fragment ${state.kind}`} data-state={state.kind}>
            <title>
              Fragment {i}, provider {c.provider}: {state.words}
            </title>
          </rect>
        );
      })}
    </svg>
  );
}
