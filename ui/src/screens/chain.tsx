// Chain: best and finalized block, and what happened in recent blocks, in words.

import { useState } from 'preact/hooks';
import type { ScreenProps } from '../app';
import type { EventInWords } from '../events';
import { describeEvent, isRoutine } from '../events';
import { useSubscription } from '../widgets';

/** How many recent events the screen keeps. */
const KEEP = 50;

export function ChainScreen({ chain, heads }: ScreenProps) {
  const [events, setEvents] = useState<EventInWords[]>([]);
  const [routine, setRoutine] = useState(0);

  useSubscription((alive) => {
    const { api } = chain;
    return api.rpc.chain.subscribeNewHeads(async (header) => {
      const at = await api.at(header.hash);
      const records = await at.query.system.events();
      if (!alive()) return;
      const block = header.number.toNumber();
      const news = records.filter((r) => !isRoutine(r)).map((r) => describeEvent(chain, block, r));
      setRoutine((n) => n + records.length - news.length);
      if (news.length) setEvents((old) => [...news.reverse(), ...old].slice(0, KEEP));
    });
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
        Since this page opened; {routine} routine event(s) (fees paid, extrinsics that succeeded) not shown.
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
