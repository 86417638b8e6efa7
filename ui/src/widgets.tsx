// Pieces the screens share: a transaction's progress line, and the hook that runs one.

import { useEffect, useState } from 'preact/hooks';
import type { Account } from './accounts';
import type { Chain } from './chain';
import type { Tx, TxProgress } from './tx';
import { describeProgress, send } from './tx';

/**
 * Keeps a chain subscription while the component lives (made again when `deps` change).
 * `subscribe` gets `alive`, false once the subscription is dropped: a callback still in
 * flight then leaves the component's state alone.
 */
export function useSubscription(subscribe: (alive: () => boolean) => Promise<() => void> | undefined, deps: unknown[]) {
  useEffect(() => {
    let unsubscribe: (() => void) | undefined;
    let closed = false;
    void subscribe(() => !closed)?.then((u) => {
      unsubscribe = u;
      if (closed) u();
    });
    return () => {
      closed = true;
      unsubscribe?.();
    };
  }, deps);
}

/** A transaction the screen can start, and its progress so far. */
export function useTx(chain: Chain) {
  const [progress, setProgress] = useState<TxProgress>();
  const [done, setDone] = useState(true);
  const busy = progress !== undefined && !done;
  /** Runs the transaction `make` builds until it is finalized, or only in a block. */
  const run = async (account: Account | undefined, make: () => Tx, until?: 'in-block' | 'finalized'): Promise<TxProgress> => {
    if (!account) {
      const p: TxProgress = { stage: 'failed', reason: 'choose an account first (top right)' };
      setProgress(p);
      return p;
    }
    let tx: Tx;
    try {
      tx = make();
    } catch (e) {
      const p: TxProgress = { stage: 'failed', reason: e instanceof Error ? e.message : String(e) };
      setProgress(p);
      return p;
    }
    setDone(false);
    try {
      return await send(chain, tx, account, setProgress, until);
    } finally {
      setDone(true);
    }
  };
  return { progress, busy, run };
}

export function TxStatus({ progress, testid }: { progress: TxProgress | undefined; testid: string }) {
  if (!progress) return null;
  const kind = progress.stage === 'failed' ? 'error' : progress.stage === 'finalized' ? 'ok' : 'pending';
  return (
    <p class={`tx ${kind}`} data-testid={testid} data-stage={progress.stage} role="status">
      {describeProgress(progress)}
    </p>
  );
}
