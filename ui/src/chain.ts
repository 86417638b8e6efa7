// The connection to a Cairn node, and what the screens read through it: amounts in CRN,
// Cairn's own RPC methods (`cairn_*`), and chain errors in the words of their docs.

import '@polkadot/api-augment';
import { ApiPromise, WsProvider } from '@polkadot/api';
import type { DispatchError } from '@polkadot/types/interfaces';

/**
 * The node's RPC: `?rpc=ws://...` in the page's address, else the RPC port of the node
 * whose gateway serves the page (its `/config.json`), else port 9944 of the page's host.
 */
export async function rpcUrl(location: Location = window.location): Promise<string> {
  const asked = new URLSearchParams(location.search).get('rpc');
  if (asked) return asked;
  let port = 9944;
  try {
    const response = await fetch('./config.json', { cache: 'no-store' });
    if (response.ok) port = ((await response.json()) as { rpcPort?: number }).rpcPort ?? port;
  } catch {
    // Not served by a node's gateway (a development server): the default port.
  }
  // An IPv6 hostname comes in brackets already.
  const host = location.hostname || '127.0.0.1';
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${host}:${port}`;
}

/** A connected node: the API, and its provider for Cairn's own methods. */
export interface Chain {
  api: ApiPromise;
  provider: WsProvider;
  token: Token;
  name: string;
}

export async function connect(url: string): Promise<Chain> {
  const provider = new WsProvider(url, 2500);
  let api: ApiPromise;
  try {
    api = await ApiPromise.create({ provider, throwOnConnect: true, noInitWarn: true });
  } catch (e) {
    // No reconnection loop in the background: the page says what failed.
    await provider.disconnect().catch(() => undefined);
    throw e instanceof Error && e.message ? e : new Error('the connection failed');
  }
  const name = (await api.rpc.system.chain()).toString();
  return { api, provider, token: tokenOf(api), name };
}

/** The chain's token: symbol and decimals from its properties (CRN, 12 on Cairn). */
export interface Token {
  symbol: string;
  decimals: number;
}

export function tokenOf(api: ApiPromise): Token {
  return { symbol: api.registry.chainTokens[0] ?? 'CRN', decimals: api.registry.chainDecimals[0] ?? 12 };
}

/** `amount` (in the smallest unit) as `1,234.5678 CRN`: at most four decimals, rounded down; `< 0.0001 CRN` below that. */
export function formatAmount(amount: bigint | string | number, token: Token): string {
  const value = BigInt(amount);
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const unit = 10n ** BigInt(token.decimals);
  const whole = abs / unit;
  const shown = 4;
  const fraction = ((abs % unit) * 10n ** BigInt(shown)) / unit;
  // A non-zero amount never reads as zero.
  if (abs > 0n && whole === 0n && fraction === 0n) return `${negative ? '> -' : '< '}0.0001 ${token.symbol}`;
  let text = whole.toLocaleString('en-US');
  if (fraction > 0n) text += '.' + fraction.toString().padStart(shown, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${text} ${token.symbol}`;
}

/** `text` such as `1.5` in the smallest unit, or an error that says what is wrong. */
export function parseAmount(text: string, token: Token): bigint {
  const trimmed = text.trim().replace(/,/g, '');
  const match = /^(\d+)(?:\.(\d*))?$/.exec(trimmed);
  if (!match) throw new Error(`"${text}" is not an amount: write it as 12 or 1.5`);
  const fraction = match[2] ?? '';
  if (fraction.length > token.decimals) {
    throw new Error(`${token.symbol} has ${token.decimals} decimals: "${text}" has more`);
  }
  const unit = 10n ** BigInt(token.decimals);
  return BigInt(match[1]) * unit + BigInt(fraction.padEnd(token.decimals, '0') || '0');
}

/** `5Grw...utQY`: an address short enough for a table. */
export function shortAddress(address: string): string {
  return address.length > 14 ? `${address.slice(0, 6)}…${address.slice(-6)}` : address;
}

/** An account as the page knows it: `Alice · 5Grw...utQY`, or the short address alone. */
export function accountLabel(address: string, known: { address: string; name: string }[]): string {
  const name = known.find((a) => a.address === address)?.name;
  return name ? `${name} · ${shortAddress(address)}` : shortAddress(address);
}

/** Bytes as KiB, MiB, GiB. */
export function formatBytes(bytes: number | bigint): string {
  let value = Number(bytes);
  for (const unit of ['B', 'KiB', 'MiB', 'GiB', 'TiB']) {
    if (value < 1024 || unit === 'TiB') return `${Number.isInteger(value) ? value : value.toFixed(1)} ${unit}`;
    value /= 1024;
  }
  return `${value} B`;
}

/** A failed dispatch in words: a pallet error by its name and documentation. */
export function describeDispatchError(api: ApiPromise, error: DispatchError): string {
  if (error.isModule) {
    const { section, name, docs } = api.registry.findMetaError(error.asModule);
    const doc = docs.join(' ').trim();
    return `${capitalize(section)}.${name}${doc ? `: ${doc}` : ''}`;
  }
  if (error.isToken) return `Token.${error.asToken.type}: ${TOKEN_ERRORS[error.asToken.type] ?? 'the funds cannot be moved'}`;
  if (error.isArithmetic) return `Arithmetic.${error.asArithmetic.type}: an amount is out of range`;
  if (error.isBadOrigin) return 'BadOrigin: this account may not make this call';
  return error.type;
}

const TOKEN_ERRORS: Record<string, string> = {
  FundsUnavailable: 'the account does not have the funds free',
  OnlyProvider: 'the account would be removed, and it must stay',
  BelowMinimum: 'the amount is below the existential deposit',
  CannotCreate: 'the account cannot be created',
  UnknownAsset: 'the asset is unknown',
  Frozen: 'the funds are frozen',
  Unsupported: 'the operation is not supported',
  CannotCreateHold: 'the account cannot hold funds',
  NotExpendable: 'the transfer would leave the account below the existential deposit',
  Blocked: 'the account is blocked',
};

/** An RPC error's message without its code: `8001: only 0 reachable providers ...`. */
export function rpcMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/^-?\d+: /, '');
}

/** An error from the node's RPC (a refused transaction, a bad parameter) in words. */
export function describeRpcError(error: unknown): string {
  // `1010: Invalid Transaction: Inability to pay some fees , e.g. account balance too low`
  return `The node refused it: ${rpcMessage(error).replace(/\s+,/g, ',')}`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

// Cairn's RPC methods (rpc/src/cairn.rs), as the node serves them.

export interface Endpoint {
  peerId: string;
  addresses: string[];
  expiresAt: number;
}

export interface Provider {
  account: string;
  pricePerGib: string;
  capacity: number;
  used: number;
  minDuration: number;
  maxDuration: number;
  bond: string;
  partitions: number;
  endpoint: Endpoint | null;
}

export function providers(chain: Chain): Promise<Provider[]> {
  return chain.provider.send<Provider[]>('cairn_providers', []);
}

/** An app a node lists on chain, at `url` (`origin/apps/NAME/`). */
export interface ListedApp {
  name: string;
  url: string;
}

/** The web apps a node lists on chain (pallet-endpoints), where wallets find them. */
export interface NodeApps {
  account: string;
  origin: string;
  apps: ListedApp[];
  expiresAt: number;
}

export function networkApps(chain: Chain): Promise<NodeApps[]> {
  return chain.provider.send<NodeApps[]>('cairn_apps', []);
}

/**
 * `url` if it is an http(s) address, else undefined: the chain checks listed origins, and
 * the page checks again before it makes a link of what another node wrote.
 */
export function webAddress(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}

export function resolveEndpoint(chain: Chain, account: string): Promise<Endpoint | null> {
  return chain.provider.send<Endpoint | null>('cairn_resolve', [account]);
}

export interface QuotedFragment {
  index: number;
  provider: string;
  price: string;
  endpoint: Endpoint;
}

export interface Quote {
  fragmentSize: number;
  duration: number;
  fragments: QuotedFragment[];
  total: string;
  fees: string;
  reservations: string;
}

/** What storing `size` bytes as `n` fragments (any `k` restore it) for `duration` windows costs. */
export function quote(chain: Chain, size: number, k: number, n: number, duration: number): Promise<Quote> {
  return chain.provider.send<Quote>('cairn_quote', [size, k, n, duration]);
}

/** A storage contract as `cairn_contract` and `cairn_fileStatus` show it. */
export interface Contract {
  id: number;
  client: string;
  provider: string;
  manifest: string;
  root: string;
  size: number;
  segmentSize: number;
  duration: number;
  escrow: string;
  fee: string;
  reservation: string;
  collateral: string;
  state: 'pending' | 'active';
  acceptBy: number | null;
  start: number | null;
  end: number | null;
  next: number | null;
  misses: number | null;
  lastProven: number | null;
  deadline: number | null;
  partition: number | null;
}

/** The live contracts naming `provider` (pending first, then those it proves; at most 1000). */
export function holdings(chain: Chain, provider: string): Promise<Contract[]> {
  return chain.provider.send<Contract[]>('cairn_holdings', [provider]);
}

/** The live contracts of `client`'s file `manifest` (0x and 64 hex digits). */
export function fileStatus(chain: Chain, client: string, manifest: string): Promise<Contract[]> {
  return chain.provider.send<Contract[]>('cairn_fileStatus', [client, manifest]);
}
