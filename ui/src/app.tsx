// The wallet's shell: the connection to the node, the accounts the page knows, the
// account in use, and the screens.

import { useEffect, useState } from 'preact/hooks';
import type { Account } from './accounts';
import { developmentAccounts } from './accounts';
import type { Chain } from './chain';
import { connect, rpcUrl, shortAddress } from './chain';
import { AccountsScreen } from './screens/accounts';
import { AppsScreen } from './screens/apps';
import { ChainScreen } from './screens/chain';
import { FilesScreen } from './screens/files';
import { NodesScreen } from './screens/nodes';
import { ProvidersScreen } from './screens/providers';

const SCREENS = {
  accounts: 'Accounts',
  files: 'Files',
  providers: 'Providers',
  nodes: 'Nodes',
  apps: 'Apps',
  chain: 'Chain',
} as const;
type Screen = keyof typeof SCREENS;

function screenFromHash(): Screen {
  const name = window.location.hash.replace(/^#\/?/, '');
  return name in SCREENS ? (name as Screen) : 'accounts';
}

/** What every screen gets. */
export interface ScreenProps {
  chain: Chain;
  accounts: Account[];
  account: Account | undefined;
  addAccounts: (more: Account[]) => void;
  select: (address: string) => void;
  heads: Heads;
}

export interface Heads {
  best: number;
  finalized: number;
}

export function App() {
  const [url, setUrl] = useState<string>();
  const [chain, setChain] = useState<Chain>();
  const [error, setError] = useState<string>();
  const [heads, setHeads] = useState<Heads>({ best: 0, finalized: 0 });
  const [accounts, setAccounts] = useState<Account[]>([]);
  const [selected, setSelected] = useState<string>();
  const [screen, setScreen] = useState<Screen>(screenFromHash());

  useEffect(() => {
    const onHash = () => setScreen(screenFromHash());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  useEffect(() => {
    void rpcUrl().then(setUrl);
  }, []);

  useEffect(() => {
    if (!url) return;
    let unsubscribe: (() => void)[] = [];
    let closed = false;
    connect(url)
      .then(async (c) => {
        if (closed) return c.api.disconnect();
        setChain(c);
        const ss58 = c.api.registry.chainSS58 ?? 42;
        const type = await c.api.rpc.system.chainType();
        if (type.isDevelopment || type.isLocal) setAccounts(await developmentAccounts(ss58));
        unsubscribe.push(
          await c.api.rpc.chain.subscribeNewHeads((h) => setHeads((old) => ({ ...old, best: h.number.toNumber() }))),
          await c.api.rpc.chain.subscribeFinalizedHeads((h) =>
            setHeads((old) => ({ ...old, finalized: h.number.toNumber() })),
          ),
        );
      })
      .catch((e: unknown) => setError(`Cannot reach a Cairn node at ${url}: ${e instanceof Error ? e.message : e}`));
    return () => {
      closed = true;
      unsubscribe.forEach((u) => u());
      unsubscribe = [];
    };
  }, [url]);

  if (error) {
    return (
      <main class="page">
        <h1>Cairn wallet</h1>
        <p class="error" role="alert">
          {error}
        </p>
        <p>
          Start a node with <code>make dev</code>, or open this page with <code>?rpc=ws://HOST:PORT</code> to use
          another node.
        </p>
      </main>
    );
  }
  if (!chain) {
    return (
      <main class="page">
        <h1>Cairn wallet</h1>
        <p aria-busy="true">Connecting to {url ?? 'the node'}…</p>
      </main>
    );
  }

  const account = accounts.find((a) => a.address === selected);
  const props: ScreenProps = {
    chain,
    accounts,
    account,
    heads,
    select: setSelected,
    addAccounts: (more) =>
      setAccounts((old) => [...old, ...more.filter((m) => !old.some((o) => o.address === m.address))]),
  };
  return (
    <div class="page">
      <header>
        <h1>Cairn wallet</h1>
        <span class="chain" data-testid="chain-name">
          {chain.name}
        </span>
        <span class="heads">
          best <b data-testid="best">#{heads.best}</b> · finalized <b data-testid="finalized">#{heads.finalized}</b>
        </span>
        <label class="current">
          Account{' '}
          <select
            data-testid="account-select"
            value={selected ?? ''}
            onChange={(e) => setSelected((e.target as HTMLSelectElement).value || undefined)}
          >
            <option value="">none</option>
            {accounts.map((a) => (
              <option value={a.address}>
                {a.name} · {shortAddress(a.address)}
              </option>
            ))}
          </select>
        </label>
      </header>
      <nav>
        {(Object.keys(SCREENS) as Screen[]).map((s) => (
          <a href={`#${s}`} class={s === screen ? 'active' : ''}>
            {SCREENS[s]}
          </a>
        ))}
      </nav>
      <main>
        {screen === 'accounts' && <AccountsScreen {...props} />}
        {screen === 'files' && <FilesScreen {...props} />}
        {screen === 'providers' && <ProvidersScreen {...props} />}
        {screen === 'nodes' && <NodesScreen {...props} />}
        {screen === 'apps' && <AppsScreen {...props} />}
        {screen === 'chain' && <ChainScreen {...props} />}
      </main>
    </div>
  );
}
