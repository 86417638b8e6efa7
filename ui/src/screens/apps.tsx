// Apps: what this node hosts (the gateway's `/apps.json`), each a link to the app on the
// apps' own origin (their port), where its pages cannot touch the wallet's; and what every
// node lists on chain (`cairn_apps`), each at the address its node gave.

import { useEffect, useState } from 'preact/hooks';
import type { ScreenProps } from '../app';
import { networkApps, shortAddress, webAddress, type NodeApps } from '../chain';

interface HostedApp {
  name: string;
  version: string | null;
  author: string | null;
  description: string;
  path: string;
}

interface Hosted {
  /** The apps' port; null when the node runs without apps. */
  port: number | null;
  apps: HostedApp[];
}

/** Where a browser opens `app` of a node whose apps listen on `port`. */
export function appAddress(port: number, app: HostedApp, location: Location = window.location): string {
  return `${location.protocol}//${location.hostname}:${port}${app.path}`;
}

export function AppsScreen({ chain, heads }: ScreenProps) {
  const [hosted, setHosted] = useState<Hosted>();
  const [error, setError] = useState<string>();
  const [listed, setListed] = useState<NodeApps[]>();
  const [listedError, setListedError] = useState<string>();

  useEffect(() => {
    let current = true;
    networkApps(chain)
      .then((nodes) => current && (setListed(nodes), setListedError(undefined)))
      .catch((e: unknown) => current && setListedError(`cairn_apps failed: ${e instanceof Error ? e.message : e}`));
    return () => {
      current = false;
    };
  }, [chain, heads.best]);

  useEffect(() => {
    let current = true;
    fetch('./apps.json', { cache: 'no-store' })
      .then(async (response) => {
        if (!response.ok) throw new Error(`the node answered ${response.status}`);
        const listed = (await response.json()) as Hosted;
        if (current) setHosted(listed);
      })
      .catch((e: unknown) => current && setError(`cannot read this node's apps: ${e instanceof Error ? e.message : e}`));
    return () => {
      current = false;
    };
  }, [heads.finalized]);

  return (
    <section>
      <h2>Apps</h2>
      {error && <p class="error">{error}</p>}
      {!hosted && !error && <p>Loading the apps…</p>}
      {hosted && hosted.port === null && <p data-testid="no-apps">This node runs without apps (--no-apps).</p>}
      {hosted && hosted.port !== null && hosted.apps.length === 0 && (
        <p data-testid="no-apps">
          This node hosts no apps yet: its operator installs one with <code>cairn apps install</code>.
        </p>
      )}
      {hosted && hosted.port !== null && hosted.apps.length > 0 && (
        <table data-testid="apps">
          <thead>
            <tr>
              <th>App</th>
              <th>Version</th>
              <th>Author</th>
              <th>What it is</th>
            </tr>
          </thead>
          <tbody>
            {hosted.apps.map((app) => (
              <tr>
                <td>
                  <a href={appAddress(hosted.port!, app)} target="_blank" rel="noopener noreferrer">
                    {app.name}
                  </a>
                </td>
                <td>{app.version ?? '–'}</td>
                <td title={app.author ?? ''}>{app.author ? shortAddress(app.author) : 'unsigned'}</td>
                <td>{app.description}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h3>On the network</h3>
      <p class="muted">
        Apps other nodes list on chain, each served by its node at the address it gave. They are the nodes'
        operators' own: the wallet does not vouch for them.
      </p>
      {listedError && <p class="error">{listedError}</p>}
      {!listed && !listedError && <p>Loading the chain's listings…</p>}
      {listed && listed.length === 0 && (
        <p data-testid="no-network-apps">
          No node lists apps yet (a node does with <code>--apps-public-url</code>).
        </p>
      )}
      {listed && listed.length > 0 && (
        <table data-testid="network-apps">
          <thead>
            <tr>
              <th>App</th>
              <th>Node</th>
              <th>Served at</th>
            </tr>
          </thead>
          <tbody>
            {listed.flatMap((node) =>
              node.apps.map((app) => {
                const href = webAddress(app.url);
                return (
                  <tr>
                    <td>
                      {href ? (
                        <a href={href} target="_blank" rel="noopener noreferrer">
                          {app.name}
                        </a>
                      ) : (
                        app.name
                      )}
                    </td>
                    <td title={node.account}>{shortAddress(node.account)}</td>
                    <td>{node.origin}</td>
                  </tr>
                );
              }),
            )}
          </tbody>
        </table>
      )}
    </section>
  );
}
