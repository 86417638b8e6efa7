// What a provider account stores under contracts, for whom, and how its proofs go: its
// live contracts (`cairn_holdings`), and from the chain's recent events each proving
// window as a cell of a strip (proven, missed, or both) with what the windows paid.

import { useEffect, useRef, useState } from 'preact/hooks';
import type { ScreenProps } from '../app';
import type { Chain, Contract } from '../chain';
import { accountLabel, formatAmount, formatBytes, holdings, rpcMessage } from '../chain';

/** How far back the strip looks, in blocks (each read once, then kept). */
export const HISTORY_BLOCKS = 150;
/** Bytes under contract are sampled every this many blocks. */
const USAGE_EVERY = 10;

/** One window of one provider, from the events of the blocks read. */
export interface WindowRecord {
  proven: number;
  missed: number;
  paid: bigint;
}

/** The provider's windows in the events of one block: `PartitionProven` and `WindowMissed`. */
async function blockWindows(chain: Chain, number: number, provider: string, ids: Set<number>) {
  const hash = await chain.api.rpc.chain.getBlockHash(number);
  const at = await chain.api.at(hash);
  const events = await at.query.system.events();
  const found: [number, WindowRecord][] = [];
  for (const { event } of events) {
    if (event.section !== 'storage') continue;
    const data = event.data.toJSON() as unknown[];
    if (event.method === 'PartitionProven' && String(data[0]) === provider) {
      const [, , , window, proven, faulty, paid] = data as [string, number, number, number, number, number, number | string];
      found.push([window, { proven, missed: faulty, paid: BigInt(paid) }]);
    } else if (event.method === 'WindowMissed' && ids.has(Number(data[0]))) {
      found.push([Number(data[1]), { proven: 0, missed: 1, paid: 0n }]);
    }
  }
  return found;
}

/** The bytes `provider` had under contract at block `number` (0 without an offer). */
async function usedAt(chain: Chain, number: number, provider: string): Promise<number> {
  const at = await chain.api.at(await chain.api.rpc.chain.getBlockHash(number));
  const offer = (await at.query.storage.offers(provider)).toJSON() as { used?: number | string } | null;
  return offer ? Number(offer.used ?? 0) : 0;
}

/** Adds `more` into `into`, window by window. */
export function mergeWindows(into: Map<number, WindowRecord>, more: [number, WindowRecord][]) {
  for (const [window, r] of more) {
    const had = into.get(window) ?? { proven: 0, missed: 0, paid: 0n };
    into.set(window, { proven: had.proven + r.proven, missed: had.missed + r.missed, paid: had.paid + r.paid });
  }
}

/** What one account's scan of past blocks found so far. */
interface Scan {
  account?: string;
  /** The last block read. */
  upTo: number;
  busy: boolean;
  windows: Map<number, WindowRecord>;
  /** (block, bytes under contract), every `USAGE_EVERY` blocks. */
  usage: [number, number][];
}

function newScan(account?: string): Scan {
  return { account, upTo: 0, busy: false, windows: new Map(), usage: [] };
}

export function Holdings({ chain, account, accounts, heads }: ScreenProps) {
  const [contracts, setContracts] = useState<Contract[]>();
  const [windows, setWindows] = useState<Map<number, WindowRecord>>(new Map());
  const [usage, setUsage] = useState<[number, number][]>([]);
  const [error, setError] = useState<string>();
  // Blocks already read, for the account they were read for; one scan at a time.
  const read = useRef<Scan>(newScan());

  useEffect(() => {
    if (!account) return;
    let current = true;
    (async () => {
      const list = await holdings(chain, account.address);
      if (read.current.account !== account.address) {
        read.current = newScan(account.address);
      }
      const scan = read.current;
      if (!scan.busy) {
        scan.busy = true;
        try {
          const ids = new Set(list.map((c) => c.id));
          const from = Math.max(scan.upTo + 1, heads.finalized - HISTORY_BLOCKS + 1, 1);
          // Another account chosen meanwhile ends this scan; a newer head only extends it.
          for (let n = from; n <= heads.finalized && read.current === scan; n++) {
            mergeWindows(scan.windows, await blockWindows(chain, n, account.address, ids));
            if (n % USAGE_EVERY === 0) scan.usage.push([n, await usedAt(chain, n, account.address)]);
            scan.upTo = n;
          }
        } finally {
          scan.busy = false;
        }
      }
      if (current) {
        setContracts(list);
        setWindows(new Map(scan.windows));
        setUsage(scan.usage.filter(([n]) => n > heads.finalized - HISTORY_BLOCKS));
        setError(undefined);
      }
    })().catch((e: unknown) => current && setError(`cannot read what this account stores: ${rpcMessage(e)}`));
    return () => {
      current = false;
    };
  }, [chain, account?.address, heads.finalized]);

  if (!account || contracts === undefined) return error ? <p class="error">{error}</p> : null;
  if (contracts.length === 0 && windows.size === 0) {
    return <p data-testid="holdings-none">{account.name} stores no fragment under contract.</p>;
  }
  const bytes = contracts.reduce((sum, c) => sum + c.size, 0);
  const clients = new Set(contracts.map((c) => c.client)).size;
  const paid = [...windows.values()].reduce((sum, w) => sum + w.paid, 0n);
  const missed = [...windows.values()].reduce((sum, w) => sum + w.missed, 0);
  return (
    <div class="card" data-testid="holdings">
      <h3>What {account.name} stores</h3>
      {error && <p class="error">{error}</p>}
      <p>
        {contracts.length} fragment(s), {formatBytes(bytes)}, for {clients} client(s). In the last {HISTORY_BLOCKS} blocks:{' '}
        <b data-testid="earned" data-plancks={paid.toString()}>{formatAmount(paid, chain.token)}</b> paid for proven windows,{' '}
        <span data-testid="missed">{missed}</span> fragment-window(s) missed.
      </p>
      <ProofStrip windows={windows} />
      <UsageChart usage={usage} />
      <table>
        <thead>
          <tr>
            <th>Contract</th>
            <th>Client</th>
            <th class="num">Size</th>
            <th>State</th>
            <th>Windows</th>
            <th class="num">Last proven</th>
            <th class="num">Misses</th>
          </tr>
        </thead>
        <tbody>
          {contracts.map((c) => (
            <tr data-testid="holding">
              <td>#{c.id}</td>
              <td title={c.client}>{accountLabel(c.client, accounts)}</td>
              <td class="num">{formatBytes(c.size)}</td>
              <td>{c.state}</td>
              <td>{c.start !== null ? `${c.start}–${c.end}` : `accept by #${c.acceptBy}`}</td>
              <td class="num">{c.lastProven ?? '–'}</td>
              <td class="num">{c.misses ?? '–'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The windows seen, oldest first: green proven, red missed, amber both. */
export function ProofStrip({ windows }: { windows: Map<number, WindowRecord> }) {
  const numbers = [...windows.keys()].sort((a, b) => a - b);
  if (numbers.length === 0) return <p class="muted">No window settled in these blocks yet.</p>;
  const first = numbers[0];
  const span = numbers[numbers.length - 1] - first + 1;
  const cell = 14;
  return (
    <svg data-testid="proof-strip" class="strip" width={span * cell} height={cell} role="img" aria-label={`windows ${first} to ${first + span - 1}`}>
      {Array.from({ length: span }, (_, i) => {
        const w = windows.get(first + i);
        const kind = !w ? 'none' : w.missed === 0 ? 'proven' : w.proven === 0 ? 'missed' : 'partial';
        return (
          <rect class={`window ${kind}`} x={i * cell} width={cell - 2} height={cell - 2} rx="2">
            <title>
              window {first + i}: {w ? `${w.proven} proven, ${w.missed} missed` : 'nothing settled'}
            </title>
          </rect>
        );
      })}
    </svg>
  );
}

/** Bytes under contract over the blocks sampled, as an area: a step at each sample. */
export function UsageChart({ usage }: { usage: [number, number][] }) {
  if (usage.length < 2) return null;
  const [width, height] = [300, 60];
  const first = usage[0][0];
  const span = Math.max(1, usage[usage.length - 1][0] - first);
  const top = Math.max(1, ...usage.map(([, bytes]) => bytes));
  const x = (n: number) => ((n - first) / span) * width;
  const y = (bytes: number) => height - (bytes / top) * (height - 4);
  const line = usage.map(([n, bytes], i) => `${i === 0 ? 'M' : 'L'}${x(n).toFixed(1)},${y(bytes).toFixed(1)}`).join(' ');
  const last = usage[usage.length - 1];
  return (
    <figure class="usage">
      <svg data-testid="usage-chart" width={width} height={height} role="img" aria-label={`bytes under contract, blocks ${first} to ${last[0]}`}>
        <path class="area" d={`${line} L${width},${height} L0,${height} Z`} />
        <path class="line" d={line} />
      </svg>
      <figcaption class="muted">
        Under contract, blocks #{first}–#{last[0]}: {formatBytes(last[1])} now, at most {formatBytes(top)}.
      </figcaption>
    </figure>
  );
}
