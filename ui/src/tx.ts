// Sending a transaction and following it: signing, in a block, finalized, or the reason
// it failed in the words of the pallet's documentation.

import type { SubmittableExtrinsic } from '@polkadot/api/types';
import type { ISubmittableResult } from '@polkadot/types/types';
import type { Account } from './accounts';
import { signerOf } from './accounts';
import type { Chain } from './chain';
import { describeDispatchError, describeRpcError } from './chain';

export type TxProgress =
  | { stage: 'signing' }
  | { stage: 'sent' }
  | { stage: 'in-block'; block: number }
  | { stage: 'finalized'; block: number }
  | { stage: 'failed'; reason: string; block?: number };

export type Tx = SubmittableExtrinsic<'promise', ISubmittableResult>;

/**
 * Signs `tx` with `account` and reports each stage to `onProgress`. Resolves at the final
 * stage (finalized, or in a block when `until` asks no more, or failed); never rejects: a
 * failure is a stage with its reason.
 */
export async function send(
  chain: Chain,
  tx: Tx,
  account: Account,
  onProgress: (p: TxProgress) => void,
  until: 'in-block' | 'finalized' = 'finalized',
): Promise<TxProgress> {
  const report = (p: TxProgress) => {
    onProgress(p);
    return p;
  };
  report({ stage: 'signing' });
  let signer;
  try {
    signer = await signerOf(account);
  } catch (e) {
    return report({ stage: 'failed', reason: `cannot sign: ${e instanceof Error ? e.message : e}` });
  }
  return new Promise<TxProgress>((resolve) => {
    let done = false;
    let inBlock: number | undefined;
    let unsubscribe: (() => void) | undefined;
    const finish = (p: TxProgress) => {
      if (done) return;
      done = true;
      unsubscribe?.();
      resolve(report(p));
    };
    const blockNumber = async (hash: string) => (await chain.api.rpc.chain.getHeader(hash)).number.toNumber();
    tx.signAndSend(signer.from, { signer: signer.signer, nonce: -1 }, (result) => {
      const { status, dispatchError } = result;
      void (async () => {
        if (status.isReady || status.isBroadcast) {
          if (!done) report({ stage: 'sent' });
        } else if (status.isInBlock) {
          inBlock = await blockNumber(status.asInBlock.toHex());
          if (dispatchError) {
            finish({ stage: 'failed', reason: describeDispatchError(chain.api, dispatchError), block: inBlock });
          } else if (until === 'in-block') {
            finish({ stage: 'in-block', block: inBlock });
          } else if (!done) {
            report({ stage: 'in-block', block: inBlock });
          }
        } else if (status.isFinalized) {
          const block = await blockNumber(status.asFinalized.toHex());
          finish(
            dispatchError
              ? { stage: 'failed', reason: describeDispatchError(chain.api, dispatchError), block }
              : { stage: 'finalized', block },
          );
        } else if (status.isDropped || status.isInvalid || status.isUsurped || status.isFinalityTimeout) {
          finish({ stage: 'failed', reason: `the transaction was ${status.type.toLowerCase()} by the pool${inBlock ? ` after block #${inBlock}` : ''}` });
        }
      })();
    })
      .then((unsub) => {
        unsubscribe = unsub;
        if (done) unsub();
      })
      .catch((e: unknown) => finish({ stage: 'failed', reason: describeRpcError(e) }));
  });
}

/** The stage in words, as the screens show it. */
export function describeProgress(p: TxProgress): string {
  switch (p.stage) {
    case 'signing':
      return 'Signing…';
    case 'sent':
      return 'Sent, waiting for a block…';
    case 'in-block':
      return `In block #${p.block}, waiting for finality…`;
    case 'finalized':
      return `Finalized in block #${p.block}`;
    case 'failed':
      return `Failed${p.block ? ` in block #${p.block}` : ''}: ${p.reason}`;
  }
}
