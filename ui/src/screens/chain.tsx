// Chain: best and finalized block, and what happened in recent blocks, in words.

import { useState } from 'preact/hooks';
import type { ScreenProps } from '../app';
import type { EventInWords } from '../events';
import { describeEvent, isRoutine } from '../events';
import { useSubscription } from '../widgets';

/** How many recent events the screen keeps. */
const KEEP = 50;
/** How many blocks back the screen reads when it opens (two minutes of a 6 s chain). */
const BACKFILL = 20;

export function ChainScreen({ chain, heads }: ScreenProps) {
  const [events, setEvents] = useState<EventInWords[]>([]);
  const [routine, setRoutine] = useState(0);

  useSubscription((alive) => {
    const { api } = chain;
    // Blocks already shown, by hash: the backfill and the subscription may both bring one.
    const seen = new Set<string>();
    const show = async (hash: string, block: number) => {
      if (seen.has(hash)) return;
      seen.add(hash);
      const records = await (await api.at(hash)).query.system.events();
      if (!alive()) return;
      const news = records.filter((r) => !isRoutine(r)).map((r) => describeEvent(chain, block, r));
      setRoutine((n) => n + records.length - news.length);
      if (news.length) {
        setEvents((old) => [...news, ...old].sort((a, b) => b.block - a.block).slice(0, KEEP));
      }
    };
    const backfill = async () => {
      const best = (await api.rpc.chain.getHeader()).number.toNumber();
      const from = Math.max(1, best - BACKFILL + 1);
      const numbers = Array.from({ length: best - from + 1 }, (_, i) => from + i);
      const hashes = await Promise.all(numbers.map((n) => api.rpc.chain.getBlockHash(n)));
      await Promise.all(hashes.map((hash, i) => show(hash.toHex(), numbers[i])));
    };
    const unsubscribe = api.rpc.chain.subscribeNewHeads((header) => void show(header.hash.toHex(), header.number.toNumber()));
    void backfill().catch(() => undefined);
    return unsubscribe;
  }, [chain]);

  return (
    <section>
      <h2>Chain</h2>
      <dl class="facts">
        <dt>Chain</dt>
        <dd>{chain.name}</dd>
        <dt>Best block</dt>
        <dd>#{heads.best}</dd>
        <dt>Finalized block</dt>
        <dd>#{heads.finalized}</dd>
        <dt>Runtime</dt>
        <dd>
          {chain.api.runtimeVersion.specName.toString()} v{chain.api.runtimeVersion.specVersion.toNumber()}
        </dd>
      </dl>
      <h3>Recent events</h3>
      <p class="muted">
        The last {BACKFILL} blocks and every block since; {routine} routine event(s) (fees paid, extrinsics that succeeded) not shown.
      </p>
      <ol class="events" data-testid="events">
        {events.map((e) => (
          <li>
            <span class="block">#{e.block}</span> <b>{e.title}</b> {e.text}
            {e.fields && <div class="fields">{e.fields}</div>}
          </li>
        ))}
      </ol>
    </section>
  );
}
