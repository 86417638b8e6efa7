// The wallet in a real browser against a real `cairn --dev` node: what a user sees and
// does on each screen, and what the chain holds after.

import { expect, test, type Page } from '@playwright/test';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';

const wallet = () => process.env.CAIRN_WALLET!;

/** Calls Alice's node over JSON-RPC (HTTP on the RPC port). */
async function rpcCall(method: string, params: unknown[]): Promise<unknown> {
  const url = process.env.CAIRN_RPC!.replace(/^ws/, 'http');
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const body = (await response.json()) as { result?: unknown; error?: { message: string } };
  if (body.error) throw new Error(body.error.message);
  return body.result;
}

/** The wallet as Alice's node serves it: the page finds the node's RPC by itself. */
async function open(page: Page, screen: string) {
  await page.goto(`${wallet()}#${screen}`);
  await expect(page.getByTestId('chain-name')).toHaveText('Cairn Development');
}

/** Saves what the page shows as `test-results/screens/NAME.png` (kept after the run). */
async function screenshot(page: Page, name: string) {
  await page.screenshot({ path: join('test-results', 'screens', `${name}.png`), fullPage: true });
}

/** A dev account's address, as the account picker lists it. */
async function use(page: Page, name: string) {
  const option = page.getByTestId('account-select').locator('option', { hasText: name });
  await page.getByTestId('account-select').selectOption(await option.getAttribute('value'));
}

/** An amount shown as `1,000,001.5 CRN`, as a number of CRN. */
function crn(text: string | null): number {
  const match = /^([\d,]+(?:\.\d+)?) CRN$/.exec(text?.trim() ?? '');
  if (!match) throw new Error(`not an amount: ${text}`);
  return Number(match[1].replace(/,/g, ''));
}

test('the chain screen follows best and finalized blocks and tells events in words', async ({ page }) => {
  await open(page, 'chain');
  const number = async (id: string) => Number((await page.getByTestId(id).textContent())!.replace('#', ''));
  await expect.poll(() => number('finalized')).toBeGreaterThan(0);
  const best = await number('best');
  await expect.poll(() => number('best')).toBeGreaterThan(best);
  // The dev node publishes its endpoint from its off-chain worker: an event with words.
  await expect(page.getByTestId('events')).toContainText('Endpoints · EndpointPublished', { timeout: 60_000 });
  await expect(page.getByTestId('events')).not.toContainText('{"');
  await screenshot(page, 'chain');
});

test('the first load is under 1 MB of JavaScript (gzip), every byte from the node', async ({ page, request }) => {
  await open(page, 'accounts');
  const loaded = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name));
  const origin = new URL(wallet()).origin;
  // No CDN: community networks are often offline from the internet.
  expect(loaded.filter((url) => !url.startsWith(origin))).toEqual([]);
  const scripts = await page.evaluate(() => Array.from(document.scripts, (s) => s.src).filter(Boolean));
  const javascript = [...new Set([...scripts, ...loaded.filter((url) => url.endsWith('.js'))])];
  expect(javascript.length).toBeGreaterThan(0);
  let plain = 0;
  let gzip = 0;
  for (const url of javascript) {
    const body = await (await request.get(url)).body();
    plain += body.length;
    gzip += gzipSync(body).length;
  }
  console.log(`first load: ${javascript.length} script(s), ${plain} bytes, ${gzip} gzip`);
  expect(gzip).toBeLessThan(1_000_000);
  await screenshot(page, 'accounts');
});

// Eve runs no node: nothing but this transfer moves her balance.
test('a transfer shows its fee before signing, its progress, and moves the balance', async ({ page }) => {
  await open(page, 'accounts');
  const eveRow = page
    .getByTestId('accounts')
    .locator('tbody tr')
    .filter({ has: page.getByRole('cell', { name: 'Eve', exact: true }) });
  await expect(eveRow.getByTestId('free')).toContainText('CRN');
  const before = crn(await eveRow.getByTestId('free').textContent());

  await use(page, 'Alice');
  const form = page.locator('form.transfer');
  await form.locator('input[name=to]').fill('Eve');
  await form.locator('input[name=amount]').fill('1.5');
  await expect(page.getByTestId('fee')).toContainText(/Fee ≈ 0\.\d+ CRN|Fee ≈ 0 CRN/);
  await form.getByRole('button', { name: 'Sign and send' }).click();
  const status = page.getByTestId('transfer-status');
  await expect(status).toHaveAttribute('data-stage', /sent|in-block|finalized/);
  await expect(status).toHaveAttribute('data-stage', 'finalized', { timeout: 90_000 });
  await expect(status).toContainText(/Finalized in block #\d+/);
  await expect.poll(async () => crn(await eveRow.getByTestId('free').textContent())).toBe(before + 1.5);
});

test('bad input is refused in words before anything is signed', async ({ page }) => {
  await open(page, 'accounts');
  await use(page, 'Alice');
  const form = page.locator('form.transfer');
  await form.locator('input[name=to]').fill('Bob');
  await form.locator('input[name=amount]').fill('1.2.3');
  await expect(page.getByTestId('fee')).toContainText('"1.2.3" is not an amount');
  await form.getByRole('button', { name: 'Sign and send' }).click();
  await expect(page.getByTestId('transfer-status')).toHaveAttribute('data-stage', 'failed');
  await expect(page.getByTestId('transfer-status')).toContainText('is not an amount');

  await form.locator('input[name=to]').fill('not-an-address');
  await form.locator('input[name=amount]').fill('1');
  await expect(page.getByTestId('fee')).toContainText('"not-an-address" is not an address');
});

test('an operator offers storage, sees it in the market, and a failing call reads as the pallet documents it', async ({ page }) => {
  await open(page, 'providers');
  await use(page, 'Charlie');
  const offer = page.getByTestId('my-offer');
  const status = page.getByTestId('offer-status');
  await expect(page.getByTestId('my-offer-state')).toHaveText('This account offers no storage.');

  // Withdrawing an offer that does not exist: the pallet's error and its documentation.
  await offer.getByRole('button', { name: 'Withdraw the offer' }).click();
  await expect(status).toHaveAttribute('data-stage', 'failed', { timeout: 90_000 });
  await expect(status).toContainText('Storage.UnknownOffer: The provider has no offer.');
  // The chain screen tells the same failure in the same words, not as the error's JSON.
  await open(page, 'chain');
  const failed = page.getByTestId('events').locator('li', { hasText: 'System · ExtrinsicFailed' });
  await expect(failed.first()).toContainText('dispatch error: Storage.UnknownOffer: The provider has no offer.', { timeout: 60_000 });
  await expect(failed.first()).toContainText('dispatch info: (weight: (ref time:');
  await expect(page.getByTestId('events')).not.toContainText('{"');
  await open(page, 'providers');
  await use(page, 'Charlie');

  await offer.locator('input[name=capacity]').fill('2');
  await offer.locator('input[name=price]').fill('0.05');
  await offer.getByRole('button', { name: 'Offer storage' }).click();
  await expect(status).toHaveAttribute('data-stage', 'finalized', { timeout: 90_000 });
  await expect(page.getByTestId('my-offer-state')).toContainText('Offering 2 GiB at 0.05 CRN per GiB and window');
  await expect(page.getByTestId('market').locator('tr', { hasText: '0.05 CRN' })).toContainText('2 GiB of 2 GiB');
  await screenshot(page, 'providers');

  await offer.getByRole('button', { name: 'Withdraw the offer' }).click();
  await expect(status).toHaveAttribute('data-stage', 'finalized', { timeout: 90_000 });
  await expect(page.getByTestId('my-offer-state')).toHaveText('This account offers no storage.');
});

/** Offers storage from `name`'s account through the Providers screen. */
async function offerStorage(page: Page, name: string) {
  await open(page, 'providers');
  await use(page, name);
  const offer = page.getByTestId('my-offer');
  await offer.locator('input[name=capacity]').fill('1');
  await offer.locator('input[name=price]').fill('0.01');
  await offer.getByRole('button', { name: 'Offer storage' }).click();
  await expect(page.getByTestId('offer-status')).toHaveAttribute('data-stage', 'finalized', { timeout: 90_000 });
}

test('a quote before paying, and a stored file with its fragments, providers and contracts, renewed', async ({ page }) => {
  test.setTimeout(300_000);
  // Alice's and Bob's nodes sell storage.
  await offerStorage(page, 'Alice');
  await offerStorage(page, 'Bob');

  await open(page, 'files');
  const form = page.getByTestId('quote');
  await form.locator('input[name=size]').fill('1');
  await form.locator('input[name=k]').fill('1');
  await form.locator('input[name=n]').fill('2');
  await form.locator('input[name=duration]').fill('5');
  // Both providers are quoted once both nodes published their endpoints.
  await expect(async () => {
    await form.getByRole('button', { name: 'Quote' }).click();
    await expect(page.getByTestId('quote-result')).toBeVisible({ timeout: 2_000 });
  }).toPass({ timeout: 120_000 });
  await expect(page.getByTestId('quote-result')).toContainText('2 fragments of');
  // The providers by the names the page knows them by.
  await expect(page.getByTestId('quote-result')).toContainText('Alice · 5Grwva');
  await expect(page.getByTestId('quote-result')).toContainText('Bob · 5FHneW');
  await expect(page.getByTestId('quote-total')).toContainText('CRN');
  // More fragments than providers: the node's reason, in words.
  await form.locator('input[name=n]').fill('3');
  await form.getByRole('button', { name: 'Quote' }).click();
  await expect(page.getByTestId('quote-error')).toContainText('only 2 reachable providers');
  await expect(page.getByTestId('quote-error')).toContainText('lower n or the duration');
  await form.locator('input[name=k]').fill('x');
  await form.getByRole('button', { name: 'Quote' }).click();
  await expect(page.getByTestId('quote-error')).toContainText('whole numbers');

  // Charlie stores a file from the page: the gateway encodes it, the page pays and signs
  // each upload, the gateway carries the fragments to Alice's and Bob's nodes.
  const dir = mkdtempSync(join(tmpdir(), 'cairn-wallet-file-'));
  const file = join(dir, 'notes.bin');
  const bytes = randomBytes(3 * 1024 * 1024 + 12345);
  writeFileSync(file, bytes);
  await use(page, 'Charlie');
  const store = page.getByTestId('store');
  await store.locator('input[name=file]').setInputFiles(file);
  await store.locator('input[name=k]').fill('1');
  await store.locator('input[name=n]').fill('2');
  await store.locator('input[name=duration]').fill('5');
  await store.getByRole('button', { name: 'Store' }).click();
  // The capability is shown before anything is paid, and the price before anything is signed.
  const capability = store.getByRole('textbox', { name: 'read capability' });
  await expect(capability).toHaveValue(/^cairn:v2:/, { timeout: 60_000 });
  await expect(page.getByTestId('price')).toContainText('2 contracts of');
  await expect(page.getByTestId('price')).toContainText('for 5 windows');
  await expect(page.getByTestId('store-tx')).toHaveCount(0);
  await store.getByRole('button', { name: 'Pay and store' }).click();
  // The fragments' upload, followed by a progress bar to its end.
  await expect(page.getByTestId('put-progress')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('put-status')).toHaveAttribute('data-stage', 'stored', { timeout: 120_000 });
  // The contracts were paid in a block; the uploads did not wait for finality.
  await expect(page.getByTestId('store-tx')).toHaveAttribute('data-stage', 'in-block');
  const cap = await capability.inputValue();
  // Charlie signed everything in the page: the node that encoded and uploaded his file
  // holds none of his keys.
  const charlie = '0x90b5ab205c6974c9ea841be688864633dc9ca8a357843eeacf2314649965fe22';
  for (const keyType of ['acco', 'cair']) {
    expect(await rpcCall('author_hasKey', [charlie, keyType])).toBe(false);
  }

  await open(page, 'files');
  await use(page, 'Charlie');
  const card = page.getByTestId('file');
  await expect(card).toHaveCount(1);
  await expect(card.locator('rect.fragment')).toHaveCount(2);
  // The providers accept by themselves.
  await expect(card.getByTestId('contract-state')).toHaveText([/^active/, /^active/], { timeout: 120_000 });
  const row = card.locator('tbody tr').first();
  const windows = async () => (await row.locator('td').nth(3).textContent())!.split('–').map(Number);
  const [start, end] = await windows();
  expect(end - start).toBe(5);
  await card.locator('input[name=extra]').fill('2');
  await row.getByRole('button', { name: 'Renew' }).click();
  await expect(card.getByTestId('file-status')).toHaveAttribute('data-stage', 'finalized', { timeout: 90_000 });
  await expect.poll(async () => (await windows())[1]).toBe(end + 2);

  // Read back by capability, through a shared link: the same bytes.
  await page.goto(`${wallet()}?cap=${encodeURIComponent(cap)}#files`);
  const read = page.getByTestId('read');
  await expect(read.locator('input[name=capability]')).toHaveValue(cap);
  await read.locator('input[name=name]').fill('notes-back.bin');
  const [download] = await Promise.all([page.waitForEvent('download'), read.getByRole('link', { name: 'Download' }).click()]);
  expect(download.suggestedFilename()).toBe('notes-back.bin');
  expect(Buffer.compare(readFileSync((await download.path())!), bytes)).toBe(0);
  await use(page, 'Charlie');
  await expect(page.getByTestId('file')).toHaveCount(1);
  await screenshot(page, 'files');

  // Alice's side: what her node stores for Charlie, and its proofs as they come.
  await open(page, 'providers');
  await use(page, 'Alice');
  const held = page.getByTestId('holdings');
  await expect(held.getByTestId('holding').filter({ hasText: 'Charlie' })).toHaveCount(1);
  await expect(held.locator('rect.window.proven').first()).toBeVisible({ timeout: 180_000 });
  // 3 MiB at 0.01 CRN per GiB and window: a few hundred-thousandths of a CRN per window.
  await expect(held.getByTestId('earned')).toHaveText(/CRN$/);
  expect(BigInt((await held.getByTestId('earned').getAttribute('data-plancks'))!)).toBeGreaterThan(0n);
  await expect(held.getByTestId('missed')).toHaveText('0');
  await expect(held.getByTestId('usage-chart')).toBeVisible();
  await expect(held.locator('figcaption')).toContainText('now, at most');
  await screenshot(page, 'holdings');
});

test('declining the price stores nothing and signs nothing', async ({ page }) => {
  // Alice and Bob offer storage since the test before. Dave asks, sees the price, declines.
  const dave = '5DAAnrj7VHTznn2AWBemMuyBwZWs6FNFjdyVXUeYum3PTXFy';
  const nonce = await rpcCall('system_accountNextIndex', [dave]);
  await open(page, 'files');
  await use(page, 'Dave');
  const dir = mkdtempSync(join(tmpdir(), 'cairn-wallet-file-'));
  const file = join(dir, 'declined.bin');
  writeFileSync(file, randomBytes(100_000));
  const store = page.getByTestId('store');
  await store.locator('input[name=file]').setInputFiles(file);
  await store.locator('input[name=k]').fill('1');
  await store.locator('input[name=n]').fill('2');
  await store.locator('input[name=duration]').fill('5');
  await store.getByRole('button', { name: 'Store' }).click();
  await expect(page.getByTestId('price')).toContainText('CRN', { timeout: 60_000 });
  await store.getByRole('button', { name: 'Do not store' }).click();
  await expect(page.getByTestId('put-status')).toHaveAttribute('data-stage', 'failed');
  await expect(page.getByTestId('put-status')).toContainText('the price was declined, nothing was signed or paid');
  await expect(store.getByRole('button', { name: 'Pay and store' })).toHaveCount(0);
  expect(await rpcCall('system_accountNextIndex', [dave])).toBe(nonce);
  await expect(page.getByTestId('no-files')).toBeVisible();
});

test('the gateway refuses what it should not do, in words', async ({ page, request }) => {
  // Another site's page cannot make the node store files (CSRF).
  const foreign = await request.post(`${wallet()}files/uploads?client=5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY`, {
    data: 'x',
    headers: { origin: 'http://evil.example' },
  });
  expect(foreign.status()).toBe(403);
  expect(await foreign.text()).toContain('must come from this gateway');
  await open(page, 'files');
  // A mistyped capability is named as such, before any request.
  await page.getByTestId('read').locator('input[name=capability]').fill('cairn:v2:0OIl');
  await expect(page.getByTestId('read')).toContainText('a capability looks like');
  // A well-formed one whose checksum fails: the gateway's reason.
  const bad = await request.get(`${wallet()}files/download?cap=cairn:v2:2222222222222222`);
  expect(bad.status()).toBe(400);
  expect((await bad.json()).error).toContain('wrong length');
  // Storing without an account says what to do.
  await page.getByTestId('store').getByRole('button', { name: 'Store' }).click();
  await expect(page.getByTestId('put-status')).toContainText('choose');
});

test('the node registry lists the dev nodes and the validator', async ({ page }) => {
  await open(page, 'nodes');
  const nodes = page.getByTestId('nodes');
  // Every dev account (and the dev chain's stash accounts) is a node from genesis; Alice
  // alone validates.
  await expect.poll(() => nodes.locator('tbody tr').count()).toBeGreaterThanOrEqual(6);
  const alice = nodes.locator('tbody tr', { hasText: '5Grwva…GKutQY' });
  await expect(alice.getByTestId('role')).toHaveText('validator (bond 1,000 CRN)');
  await expect(alice).toContainText('genesis');
  await expect(nodes.getByTestId('role').filter({ hasText: 'validator' })).toHaveCount(1);
  await screenshot(page, 'nodes');
});

test("the apps screen lists what the node hosts, each on the apps' own origin", async ({ page, request }) => {
  await open(page, 'apps');
  const row = page.getByTestId('apps').locator('tbody tr', { hasText: 'hello' });
  await expect(row).toContainText('Hello world, for the wallet test');
  await expect(row).toContainText('5Grwva…GKutQY');
  const href = await row.getByRole('link', { name: 'hello' }).getAttribute('href');
  const address = new URL(href!);
  // Its own origin: another port than the wallet's, where its pages cannot reach the wallet's.
  expect(address.port).not.toBe(new URL(wallet()).port);
  expect(address.pathname).toBe('/apps/hello/');
  expect(await (await request.get(href!)).text()).toBe('hello from an app\n');
  // Alice's node lists it on chain, where every wallet finds it (once a block carries it).
  const listed = page.getByTestId('network-apps').locator('tbody tr', { hasText: 'hello' });
  await expect(listed).toContainText('5Grwva…GKutQY', { timeout: 90_000 });
  const listedHref = await listed.getByRole('link', { name: 'hello' }).getAttribute('href');
  expect(new URL(listedHref!).pathname).toBe('/apps/hello/');
  expect(await (await request.get(listedHref!)).text()).toBe('hello from an app\n');
  await screenshot(page, 'apps');
});

test('every screen fits a phone-width window, and the tabs work from the keyboard', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  for (const screen of ['accounts', 'files', 'providers', 'nodes', 'apps', 'chain']) {
    await open(page, screen);
    await use(page, 'Alice');
    await expect(page.locator('main h2').first()).toBeVisible();
    await screenshot(page, `phone-${screen}`);
    // What sticks out past the window's right edge, if anything.
    const wide = await page.evaluate(() =>
      Array.from(document.querySelectorAll('body *'))
        .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5)
        // Tables and the tab bar scroll on their own.
        .filter((e) => !e.closest('table, nav'))
        .map((e) => `${e.tagName.toLowerCase()}${e.className ? '.' + String(e.className).split(' ').join('.') : ''}`),
    );
    expect(wide, `${screen} is wider than the window`).toEqual([]);
    // Every control has a name a screen reader says (a label, its text, or an aria-label).
    const unnamed = await page.evaluate(() =>
      Array.from(document.querySelectorAll('input, select, textarea, button, a[href]'))
        .filter((e) => {
          const labelled = 'labels' in e && (e as HTMLInputElement).labels && (e as HTMLInputElement).labels!.length > 0;
          const text = e.tagName === 'BUTTON' || e.tagName === 'A' ? e.textContent?.trim() : '';
          return !labelled && !text && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby');
        })
        .map((e) => e.outerHTML.slice(0, 80)),
    );
    expect(unnamed, `${screen} has controls without a name`).toEqual([]);
  }
  await page.getByRole('link', { name: 'Files' }).focus();
  await page.keyboard.press('Enter');
  await expect(page.locator('main h2').first()).toHaveText('Files');
});

test('a node that cannot be reached is said so, with what to do', async ({ page }) => {
  await page.goto(`${wallet()}?rpc=${encodeURIComponent('ws://127.0.0.1:1')}`);
  await expect(page.getByRole('alert')).toContainText('Cannot reach a Cairn node at ws://127.0.0.1:1');
  await expect(page.locator('main')).toContainText('make dev');
});
