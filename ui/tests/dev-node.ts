// Starts a real dev chain for the wallet tests, and stops it after them: `cairn --dev`
// (Alice, who authors and finalizes) and a second node, Bob's, joined to it, so that two
// providers can store a file's two fragments. The binary: `$CAIRN_BIN`, else the release
// build in `$CARGO_TARGET_DIR`.

import { execFileSync, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function cairnBin(): string {
  const bin =
    process.env.CAIRN_BIN ??
    join(process.env.CARGO_TARGET_DIR ?? join(homedir(), '.cache/cairn-target'), 'release/cairn');
  if (!existsSync(bin)) throw new Error(`${bin} not found: build the node first (make build)`);
  return bin;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** The best block's number over JSON-RPC (HTTP), or undefined while the node is not up. */
async function bestBlock(port: number): Promise<number | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'chain_getHeader', params: [] }),
    });
    const body = (await response.json()) as { result?: { number: string } };
    return body.result ? parseInt(body.result.number, 16) : undefined;
  } catch {
    return undefined;
  }
}

/** Alice's libp2p key, so that Bob's node knows where to find her: the peer id below. */
const ALICE_NODE_KEY = '0000000000000000000000000000000000000000000000000000000000000001';
const ALICE_PEER_ID = '12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp';

interface Node {
  name: string;
  rpcPort: number;
  logPath: string;
  exited: () => number | null;
  stop: () => Promise<void>;
}

async function startNode(name: string, args: string[]): Promise<Node> {
  const rpcPort = await freePort();
  const logPath = join(tmpdir(), `cairn-wallet-test-${name}-${rpcPort}.log`);
  const log = createWriteStream(logPath);
  const node = spawn(
    cairnBin(),
    [
      ...args,
      '--tmp', '--no-prometheus', '--no-telemetry', '--no-mdns',
      '--rpc-port', String(rpcPort), '--rpc-cors', 'all',
      '--fragment-port', '0', '--fragment-listen-ip', '127.0.0.1',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  node.stdout.pipe(log);
  node.stderr.pipe(log);
  let exited: number | null = null;
  node.on('exit', (code) => (exited = code ?? -1));
  return {
    name,
    rpcPort,
    logPath,
    exited: () => exited,
    stop: async () => {
      node.kill('SIGINT');
      await new Promise((r) => (exited !== null ? r(null) : node.once('exit', r)));
    },
  };
}

/**
 * Installs the hello-world example app (built for wasm32-wasip2, as the Rust tests build
 * it) on `node` with `cairn apps`, with the operator's token its log names.
 */
async function installHello(node: Node) {
  const target = process.env.CARGO_TARGET_DIR ?? join(homedir(), '.cache/cairn-target');
  const examples = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples', 'apps', 'Cargo.toml');
  execFileSync('cargo', ['build', '--quiet', '--release', '--target', 'wasm32-wasip2', '--manifest-path', examples], {
    env: { ...process.env, CARGO_TARGET_DIR: join(target, 'apps') },
    stdio: 'inherit',
  });
  const deadline = Date.now() + 30_000;
  let token: string | undefined;
  while (!token) {
    token = /the operator's token is in (\S+)/.exec(readFileSync(node.logPath, 'utf8'))?.[1];
    if (!token && Date.now() > deadline) throw new Error(`no operator's token in ${node.logPath}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const packageFile = join(mkdtempSync(join(tmpdir(), 'cairn-wallet-app-')), 'hello.cairnapp');
  const hello = join(target, 'apps', 'wasm32-wasip2', 'release', 'hello.wasm');
  const description = 'Hello world, for the wallet test';
  execFileSync(cairnBin(), ['apps', 'pack', hello, '--name', 'hello', '--description', description, '--suri', '//Alice', '-o', packageFile]);
  execFileSync(cairnBin(), [
    'apps', 'install', packageFile, '--node-url', `ws://127.0.0.1:${node.rpcPort}`, '--token-file', token,
  ]);
}

/** Waits until `node` has imported block `number`; a minute is plenty on a dev chain. */
async function waitForBlock(node: Node, number: number) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const exited = node.exited();
    if (exited !== null) throw new Error(`${node.name}'s node exited with ${exited}; its log: ${node.logPath}`);
    if (((await bestBlock(node.rpcPort)) ?? 0) >= number) return;
    if (Date.now() > deadline) throw new Error(`${node.name}'s node saw no block #${number} in 60 s; its log: ${node.logPath}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** The built wallet (`npm run build`), which Alice's gateway serves. */
const WALLET = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');

export default async function startDevChain(): Promise<() => Promise<void>> {
  if (!existsSync(join(WALLET, 'index.html'))) throw new Error(`no built wallet in ${WALLET}: run npm run build`);
  const p2pPort = await freePort();
  const gatewayPort = await freePort();
  const appsPort = await freePort();
  const alice = await startNode('alice', [
    '--dev', '--node-key', ALICE_NODE_KEY, '--listen-addr', `/ip4/127.0.0.1/tcp/${p2pPort}`,
    '--gateway-port', String(gatewayPort), '--ui-dir', WALLET,
    // Alice lists her apps on chain at this address (a dev chain takes loopback ones).
    '--apps-port', String(appsPort), '--apps-public-url', `http://127.0.0.1:${appsPort}`,
  ]);
  const nodes = [alice];
  try {
    await waitForBlock(alice, 1);
    const bob = await startNode('bob', [
      // An authority (without BABE slots) needs a network key of its own.
      '--chain', 'dev', '--bob', '--node-key', '0'.repeat(63) + '2', '--listen-addr', `/ip4/127.0.0.1/tcp/${await freePort()}`,
      '--bootnodes', `/ip4/127.0.0.1/tcp/${p2pPort}/p2p/${ALICE_PEER_ID}`, '--no-gateway',
    ]);
    nodes.push(bob);
    await waitForBlock(bob, 2);
    await installHello(alice);
  } catch (e) {
    await Promise.all(nodes.map((n) => n.stop()));
    throw e;
  }
  process.env.CAIRN_RPC = `ws://127.0.0.1:${alice.rpcPort}`;
  process.env.CAIRN_WALLET = `http://127.0.0.1:${gatewayPort}/`;
  process.env.CAIRN_BIN = cairnBin();
  for (const n of nodes) console.log(`${n.name}'s node: RPC ws://127.0.0.1:${n.rpcPort}, log ${n.logPath}`);
  console.log(`the wallet: ${process.env.CAIRN_WALLET}`);

  return async () => {
    await Promise.all(nodes.map((n) => n.stop()));
  };
}
