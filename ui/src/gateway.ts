// Storing and reading files through the node's HTTP gateway (`/files`), which speaks the
// fragment protocol the browser cannot. The gateway encodes the file and carries it to the
// providers; the page pays and authorises: it signs the contracts' transaction and each
// fragment's upload authorisation, so the gateway never holds a key.

import { hexToU8a, u8aToHex } from '@polkadot/util';
import type { Account } from './accounts';
import type { Chain, Quote } from './chain';
import { quote, rpcMessage } from './chain';
import type { Tx, TxProgress } from './tx';

/** The gateway's answer to an uploaded file: its manifest and read capability. */
export interface Encoded {
  upload: string;
  manifest: string;
  plainSize: number;
  segmentSize: number;
  fragmentSize: number;
  k: number;
  n: number;
  roots: string[];
  capability: string;
}

export interface Authorisation {
  index: number;
  contract: number;
  provider: string;
  /** What the client signs (hex). */
  payload: string;
}

export interface UploadStatus {
  state: 'encoded' | 'uploading' | 'stored' | 'failed';
  error: string | null;
  sent: number;
  total: number;
}

/** The gateway's refusal in words (`{"error": ...}` or its text). */
async function refusal(response: Response): Promise<Error> {
  const text = await response.text();
  try {
    return new Error((JSON.parse(text) as { error?: string }).error ?? text);
  } catch {
    return new Error(text.trim() || `the gateway answered ${response.status}`);
  }
}

async function call<T>(path: string, init?: RequestInit): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new Error('the node\'s gateway cannot be reached: is this page served by a Cairn node?');
  }
  if (!response.ok) throw await refusal(response);
  return (await response.json()) as T;
}

/**
 * Sends `file` to the gateway, which encrypts and erasure-codes it for `client`; `onSent`
 * gets the bytes sent so far. Resolves with the manifest and the read capability.
 */
export function encodeFile(file: Blob, client: string, k: number, n: number, onSent: (sent: number) => void): Promise<Encoded> {
  return new Promise((resolve, reject) => {
    // XMLHttpRequest, not fetch: only it reports an upload's progress.
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `./files/uploads?client=${encodeURIComponent(client)}&k=${k}&n=${n}`);
    xhr.upload.onprogress = (e) => onSent(e.loaded);
    xhr.onerror = () => reject(new Error('the upload to the node\'s gateway broke off'));
    xhr.onload = () => {
      let body: Encoded & { error?: string };
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        return reject(new Error(xhr.responseText.trim() || `the gateway answered ${xhr.status}`));
      }
      if (xhr.status === 200) resolve(body);
      else reject(new Error(body.error ?? `the gateway answered ${xhr.status}`));
    };
    xhr.send(file);
  });
}

export function authorisations(upload: string): Promise<{ authorisations: Authorisation[] }> {
  return call(`./files/uploads/${upload}/authorisations`);
}

export function store(upload: string, signatures: { index: number; contract: number; signature: string }[]) {
  return call<{ state: string }>(`./files/uploads/${upload}/store`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ signatures }),
  });
}

/** Drops an upload that will not be paid: the gateway frees its staging space. */
export function discard(upload: string) {
  return call<{ removed: string }>(`./files/uploads/${upload}`, { method: 'DELETE' });
}

export function uploadStatus(upload: string): Promise<UploadStatus> {
  return call(`./files/uploads/${upload}`);
}

/** Where the gateway restores the file of `capability`, sent as `name`. */
export function downloadUrl(capability: string, name?: string): string {
  const query = new URLSearchParams({ cap: capability.trim() });
  if (name) query.set('name', name);
  return `./files/download?${query}`;
}

/**
 * `account`'s sr25519 signature of `payload`: by the page's key, or by the extension's
 * `signRaw` (which signs `<Bytes>payload</Bytes>`; providers take either).
 */
export async function signPayload(account: Account, payload: string): Promise<string> {
  if (account.pair) return u8aToHex(account.pair.sign(hexToU8a(payload)));
  // Loaded when needed: the module touches `window` as it loads.
  const { web3FromAddress } = await import('@polkadot/extension-dapp');
  const injected = await web3FromAddress(account.address);
  if (!injected.signer.signRaw) throw new Error('the extension cannot sign raw data');
  const { signature } = await injected.signer.signRaw({ address: account.address, data: payload, type: 'bytes' });
  return signature;
}

export type PutStage =
  | { stage: 'sending'; sent: number; total: number }
  /** The price is shown; nothing is signed until the user says so. */
  | { stage: 'quoted'; encoded: Encoded; quote: Quote }
  | { stage: 'paying'; encoded: Encoded; tx: TxProgress }
  | { stage: 'authorising'; encoded: Encoded }
  | { stage: 'uploading'; encoded: Encoded; sent: number; total: number }
  | { stage: 'stored'; encoded: Encoded }
  | { stage: 'failed'; reason: string; encoded?: Encoded };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Stores `file` for `duration` windows as `n` fragments (any `k` restore it), paid and
 * authorised by `account`: the gateway encodes it (the capability is known from then on),
 * the cheapest providers' quote is shown and `confirm` asked, then their contracts are
 * made in one transaction, each fragment's upload is signed, and the gateway uploads them.
 * `onStage` follows each step; the result is the last stage (`stored` or `failed`). Not
 * confirmed, nothing is signed or paid and the gateway drops the encoded file.
 */
export async function putFile(
  chain: Chain,
  account: Account,
  file: Blob,
  k: number,
  n: number,
  duration: number,
  sendTx: (make: () => Tx, until: 'in-block') => Promise<TxProgress>,
  onStage: (s: PutStage) => void,
  confirm: (terms: Quote) => Promise<boolean>,
): Promise<PutStage> {
  const report = (s: PutStage) => {
    onStage(s);
    return s;
  };
  let encoded: Encoded | undefined;
  try {
    report({ stage: 'sending', sent: 0, total: file.size });
    encoded = await encodeFile(file, account.address, k, n, (sent) => onStage({ stage: 'sending', sent, total: file.size }));
    const terms = await quote(chain, encoded.plainSize, k, n, duration);
    if (terms.fragmentSize !== encoded.fragmentSize) {
      throw new Error('the node quoted another fragment size than its gateway made: is it another version?');
    }
    report({ stage: 'quoted', encoded, quote: terms });
    if (!(await confirm(terms))) {
      await discard(encoded.upload).catch(() => undefined);
      return report({ stage: 'failed', reason: 'not stored: the price was declined, nothing was signed or paid', encoded });
    }
    const made = encoded;
    const fragments = terms.fragments.map((f) => ({
      provider: f.provider,
      root: made.roots[f.index],
      size: made.fragmentSize,
      maxPrice: f.price,
    }));
    // In a block is enough, as for `cairn client put`: a provider takes an upload only under
    // a contract its node sees, and the contracts of a block that does not last are gone
    // for the providers too.
    const paid = await sendTx(
      () => chain.api.tx.storage.createContracts(made.manifest, made.segmentSize, duration, fragments),
      'in-block',
    );
    report({ stage: 'paying', encoded, tx: paid });
    if (paid.stage === 'failed') return report({ stage: 'failed', reason: paid.reason, encoded });
    report({ stage: 'authorising', encoded });
    const { authorisations: wanted } = await authorisations(encoded.upload);
    const signatures = [];
    for (const a of wanted) {
      signatures.push({ index: a.index, contract: a.contract, signature: await signPayload(account, a.payload) });
    }
    await store(encoded.upload, signatures);
    for (;;) {
      const status = await uploadStatus(encoded.upload);
      if (status.state === 'stored') return report({ stage: 'stored', encoded });
      if (status.state === 'failed') return report({ stage: 'failed', reason: status.error ?? 'the upload failed', encoded });
      report({ stage: 'uploading', encoded, sent: status.sent, total: status.total });
      await sleep(500);
    }
  } catch (e) {
    return report({ stage: 'failed', reason: rpcMessage(e), encoded });
  }
}
