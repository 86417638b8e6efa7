// Files: what storing a file costs (a quote with k, n, duration and price before paying),
// the files of the account in use with each fragment's provider, contract state, last
// proof and misses, and renewing or cancelling their contracts.

import { useEffect, useState } from 'preact/hooks';
import type { ScreenProps } from '../app';
import type { Contract, Provider, Quote } from '../chain';
import { accountLabel, fileStatus, formatAmount, formatBytes, providers, quote, rpcMessage, shortAddress } from '../chain';
import type { PutStage } from '../gateway';
import { downloadUrl, putFile } from '../gateway';
import { describeProgress } from '../tx';
import { TxStatus, useTx } from '../widgets';

const MIB = 1024 * 1024;
const GIB = 1024n ** 3n;

export function FilesScreen(props: ScreenProps) {
  return (
    <section>
      <h2>Files</h2>
      <QuoteForm {...props} />
      <StoreForm {...props} />
      <ReadForm />
      <MyFiles {...props} />
    </section>
  );
}

function QuoteForm({ chain, accounts }: ScreenProps) {
  const [size, setSize] = useState('1');
  const terms = useTerms('3', '10');
  const { k, n, duration } = terms;
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
        <TermsInputs terms={terms} />
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
            Store a file on these terms below, or from a terminal with{' '}
            <code>
              cairn client put FILE --k {k} --n {n} --duration {result.duration} --suri …
            </code>
          </p>
        </div>
      )}
    </div>
  );
}

/** The terms of storage a form asks for: k, n and the duration in windows, as typed. */
function useTerms(k: string, n: string) {
  const [kText, setK] = useState(k);
  const [nText, setN] = useState(n);
  const [duration, setDuration] = useState('60');
  return { k: kText, n: nText, duration, setK, setN, setDuration };
}

function TermsInputs({ terms }: { terms: ReturnType<typeof useTerms> }) {
  const field = (name: string, size: number, value: string, set: (v: string) => void) => (
    <input name={name} size={size} value={value} onInput={(e) => set((e.target as HTMLInputElement).value)} />
  );
  return (
    <>
      <label title="fragments that restore the file">k {field('k', 3, terms.k, terms.setK)}</label>
      <label title="fragments made, one per provider">n {field('n', 3, terms.n, terms.setN)}</label>
      <label>Windows {field('duration', 5, terms.duration, terms.setDuration)}</label>
    </>
  );
}

/** Storing a file from this computer: through the node's gateway, paid and signed here. */
function StoreForm({ chain, account }: ScreenProps) {
  const [file, setFile] = useState<File>();
  const terms = useTerms('1', '2');
  const { k, n, duration } = terms;
  const [stage, setStage] = useState<PutStage>();
  // The user's answer to the quote, while the page waits for it.
  const [answer, setAnswer] = useState<(pay: boolean) => void>();
  const tx = useTx(chain);
  const busy = stage !== undefined && stage.stage !== 'stored' && stage.stage !== 'failed';
  const confirm = () => new Promise<boolean>((resolve) => setAnswer(() => resolve));
  const reply = (pay: boolean) => {
    answer?.(pay);
    setAnswer(undefined);
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!account) return setStage({ stage: 'failed', reason: 'choose an account first (top right)' });
    if (!file) return setStage({ stage: 'failed', reason: 'choose a file first' });
    const numbers = [k, n, duration].map((x) => (/^\d+$/.test(x.trim()) ? Number(x) : NaN));
    if (numbers.some((x) => !(x >= 1))) {
      return setStage({ stage: 'failed', reason: 'k, n and the duration are whole numbers, at least 1' });
    }
    await putFile(
      chain,
      account,
      file,
      numbers[0],
      numbers[1],
      numbers[2],
      (make, until) => tx.run(account, make, until),
      setStage,
      confirm,
    );
  };

  const capability = stage && 'encoded' in stage ? stage.encoded?.capability : undefined;
  const shareLink = capability
    ? `${window.location.origin}${window.location.pathname}?cap=${encodeURIComponent(capability)}#files`
    : undefined;
  return (
    <div class="card" data-testid="store">
      <h3>Store a file</h3>
      <form class="inline" onSubmit={submit}>
        <label>
          File{' '}
          <input
            type="file"
            name="file"
            onChange={(e) => setFile((e.target as HTMLInputElement).files?.[0] ?? undefined)}
          />
        </label>
        <TermsInputs terms={terms} />
        <button type="submit" disabled={busy}>
          Store
        </button>
      </form>
      <TxStatus progress={tx.progress} testid="store-tx" />
      {stage && <PutProgress stage={stage} token={chain.token} />}
      {stage?.stage === 'quoted' && answer && (
        <p data-testid="confirm-price">
          <button type="button" onClick={() => reply(true)}>
            Pay and store
          </button>{' '}
          <button type="button" onClick={() => reply(false)}>
            Do not store
          </button>
        </p>
      )}
      {capability && (
        <div data-testid="capability">
          <p>
            The read capability: whoever holds it can read the file. Keep it; it is shown before anything is paid.
          </p>
          <textarea readOnly rows={2} cols={60} aria-label="read capability" value={capability} />
          <p>
            <button type="button" onClick={() => void navigator.clipboard?.writeText(capability)}>
              Copy
            </button>{' '}
            <a href={shareLink}>Link to share</a>
          </p>
        </div>
      )}
    </div>
  );
}

function PutProgress({ stage, token }: { stage: PutStage; token: Parameters<typeof formatAmount>[1] }) {
  const bar = (label: string, sent: number, total: number) => (
    <p>
      {label}{' '}
      <progress data-testid="put-progress" max={total} value={sent} aria-label={label} /> {formatBytes(sent)} of{' '}
      {formatBytes(total)}
    </p>
  );
  const body = (() => {
    switch (stage.stage) {
      case 'sending':
        return bar('Sending to the node, which encrypts and encodes it…', stage.sent, stage.total);
      case 'quoted':
        return (
          <p data-testid="price">
            {stage.quote.fragments.length} contracts of {formatBytes(stage.quote.fragmentSize)} for {stage.quote.duration}{' '}
            windows: <b>{formatAmount(stage.quote.total, token)}</b> to the providers, plus {formatAmount(stage.quote.fees, token)}{' '}
            market fees and {formatAmount(stage.quote.reservations, token)} reservation fees. Pay?
          </p>
        );
      case 'paying':
        return <p>Contracts: {describeProgress(stage.tx)}</p>;
      case 'authorising':
        return <p>Signing each provider's upload…</p>;
      case 'uploading':
        return bar('Uploading the fragments to the providers…', stage.sent, stage.total);
      case 'stored':
        return (
          <p class="tx ok">
            Stored: {stage.encoded.n} fragments with their providers, who accept them by themselves (see below).
          </p>
        );
      case 'failed':
        return <p class="tx error">Failed: {stage.reason}</p>;
    }
  })();
  return (
    <div data-testid="put-status" data-stage={stage.stage} role="status">
      {body}
    </div>
  );
}

/** Reading a file back by its capability: the gateway restores it and the browser saves it. */
function ReadForm() {
  const [capability, setCapability] = useState(() => new URLSearchParams(window.location.search).get('cap') ?? '');
  const [name, setName] = useState('');
  const valid = /^cairn:v[12]:[1-9A-HJ-NP-Za-km-z]+$/.test(capability.trim());
  return (
    <div class="card" data-testid="read">
      <h3>Read a file</h3>
      <form class="inline" onSubmit={(e) => e.preventDefault()}>
        <label>
          Capability{' '}
          <input name="capability" size={50} value={capability} onInput={(e) => setCapability((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          Save as <input name="name" size={16} value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        </label>
        {valid ? (
          <a class="button" href={downloadUrl(capability, name || undefined)} download={name || 'cairn-file'}>
            Download
          </a>
        ) : (
          capability.trim() && <span class="error">a capability looks like cairn:v2:… as the store step showed it</span>
        )}
      </form>
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

/**
 * What `windows` more windows of a `size`-byte fragment cost at `pricePerGib` per GiB and
 * window: the pallet's `period_price`, a window's price rounded up to the planck.
 */
export function renewalCost(size: number, pricePerGib: bigint | string | number, windows: number): bigint {
  const perWindow = (BigInt(size) * BigInt(pricePerGib) + GIB - 1n) / GIB;
  return perWindow * BigInt(windows);
}

/** A fragment's state as its colour in the grid, and in words. */
export function fragmentState(c: Contract): { kind: 'pending' | 'proven' | 'waiting' | 'missing'; words: string } {
  if (c.state === 'pending') return { kind: 'pending', words: `pending, to be accepted by block #${c.acceptBy}` };
  if ((c.misses ?? 0) > 0) return { kind: 'missing', words: `active, ${c.misses} window(s) missed in a row` };
  if (c.lastProven !== null) return { kind: 'proven', words: `active, proven in window ${c.lastProven}` };
  return { kind: 'waiting', words: 'active, not proven yet' };
}

function FileCard({ chain, account, accounts, file, market }: ScreenProps & { file: FileRow; market: Provider[] }) {
  const { progress, busy, run } = useTx(chain);
  const [extra, setExtra] = useState('10');
  const fragments = file.contracts.reduce((sum, c) => sum + c.size, 0);

  /** What renewing `c` by `windows` costs at its provider's price today. */
  const renewalPrice = (c: Contract, windows: number): bigint | undefined => {
    const offer = market.find((p) => p.account === c.provider);
    return offer && renewalCost(c.size, offer.pricePerGib, windows);
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
