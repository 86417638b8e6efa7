// The wallet's logic without a browser or a node: amounts, sizes, names, errors, events,
// prices, states and the gateway's links, as the screens use them. (Playwright's runner
// runs these as plain Node.js tests: `npm run test:unit`.)

import { expect, test } from '@playwright/test';
import { accountLabel, describeRpcError, formatAmount, formatBytes, parseAmount, rpcMessage, shortAddress, webAddress } from '../src/chain';
import type { Contract } from '../src/chain';
import { readable } from '../src/events';
import { downloadUrl } from '../src/gateway';
import { fragmentState, renewalCost } from '../src/screens/files';
import { mergeWindows, type WindowRecord } from '../src/screens/holdings';
import { describeProgress } from '../src/tx';

const CRN = { symbol: 'CRN', decimals: 12 };
const ALICE = '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY';

test('amounts read as CRN with at most four decimals, rounded down', () => {
  expect(formatAmount(0n, CRN)).toBe('0 CRN');
  expect(formatAmount('1000000000000', CRN)).toBe('1 CRN');
  expect(formatAmount(1_234_567_890_123_456n, CRN)).toBe('1,234.5678 CRN');
  expect(formatAmount(10_000_000_000n, CRN)).toBe('0.01 CRN');
  // Less than a ten-thousandth is said so: never as more than it is, nor as nothing.
  expect(formatAmount(99_999_999n, CRN)).toBe('< 0.0001 CRN');
  expect(formatAmount(-1n, CRN)).toBe('> -0.0001 CRN');
  expect(formatAmount(100_000_001n, CRN)).toBe('0.0001 CRN');
  expect(formatAmount(-1_500_000_000_000n, CRN)).toBe('-1.5 CRN');
});

test('typed amounts become plancks, or say what is wrong', () => {
  expect(parseAmount('1.5', CRN)).toBe(1_500_000_000_000n);
  expect(parseAmount(' 1,000 ', CRN)).toBe(1_000_000_000_000_000n);
  expect(parseAmount('0.000000000001', CRN)).toBe(1n);
  expect(parseAmount('7.', CRN)).toBe(7_000_000_000_000n);
  expect(() => parseAmount('0.0000000000001', CRN)).toThrow('CRN has 12 decimals');
  for (const bad of ['', '-1', '1.2.3', '1e3', 'ten', '.5']) {
    expect(() => parseAmount(bad, CRN), bad).toThrow('is not an amount');
  }
  // Round trip through what the page shows.
  expect(formatAmount(parseAmount('2.25', CRN), CRN)).toBe('2.25 CRN');
});

test('sizes in binary units', () => {
  expect(formatBytes(0)).toBe('0 B');
  expect(formatBytes(1023)).toBe('1023 B');
  expect(formatBytes(1024)).toBe('1 KiB');
  expect(formatBytes(3 * 1024 * 1024 + 512 * 1024)).toBe('3.5 MiB');
  expect(formatBytes(2n ** 50n)).toBe('1024 TiB');
});

test('accounts by the name the page knows them by', () => {
  expect(shortAddress(ALICE)).toBe('5Grwva…GKutQY');
  expect(accountLabel(ALICE, [{ address: ALICE, name: 'Alice' }])).toBe('Alice · 5Grwva…GKutQY');
  expect(accountLabel(ALICE, [])).toBe('5Grwva…GKutQY');
  expect(shortAddress('short')).toBe('short');
});

test('RPC errors without their codes', () => {
  expect(rpcMessage(new Error('8001: only 2 reachable providers'))).toBe('only 2 reachable providers');
  expect(rpcMessage('-32602: invalid params')).toBe('invalid params');
  expect(describeRpcError(new Error('1010: Invalid Transaction: Inability to pay some fees , e.g. account balance too low'))).toBe(
    'The node refused it: Invalid Transaction: Inability to pay some fees, e.g. account balance too low',
  );
});

test('download links carry the capability and the name, encoded', () => {
  const cap = 'cairn:v2:3yZe7d';
  expect(downloadUrl(` ${cap} `)).toBe('./files/download?cap=cairn%3Av2%3A3yZe7d');
  expect(downloadUrl(cap, 'my notes&more.txt')).toBe('./files/download?cap=cairn%3Av2%3A3yZe7d&name=my+notes%26more.txt');
});

test('a provider\'s windows add up over the blocks that settled them', () => {
  const windows = new Map<number, WindowRecord>();
  mergeWindows(windows, [[7, { proven: 2, missed: 0, paid: 5n }]]);
  mergeWindows(windows, [
    [7, { proven: 1, missed: 1, paid: 3n }],
    [9, { proven: 0, missed: 1, paid: 0n }],
  ]);
  expect(windows.get(7)).toEqual({ proven: 3, missed: 1, paid: 8n });
  expect(windows.get(9)).toEqual({ proven: 0, missed: 1, paid: 0n });
  expect(windows.has(8)).toBe(false);
});

test('decoded values read as words, not JSON', () => {
  expect(readable('Normal')).toBe('Normal');
  expect(readable(null)).toBe('none');
  expect(readable({})).toBe('none');
  expect(readable({ weight: { refTime: '1,234', proofSize: '0' }, class: 'Normal', paysFee: 'Yes' })).toBe(
    '(weight: (ref time: 1,234, proof size: 0), class: Normal, pays fee: Yes)',
  );
  expect(readable(['0x01', { fragment_root: '0xab' }])).toBe('[0x01, (fragment root: 0xab)]');
  expect(readable(7)).toBe('7');
});

test('a transaction\'s stages in words', () => {
  expect(describeProgress({ stage: 'signing' })).toBe('Signing…');
  expect(describeProgress({ stage: 'sent' })).toBe('Sent, waiting for a block…');
  expect(describeProgress({ stage: 'in-block', block: 12 })).toBe('In block #12, waiting for finality…');
  expect(describeProgress({ stage: 'finalized', block: 13 })).toBe('Finalized in block #13');
  expect(describeProgress({ stage: 'failed', reason: 'Storage.UnknownOffer: The provider has no offer.', block: 14 })).toBe(
    'Failed in block #14: Storage.UnknownOffer: The provider has no offer.',
  );
  expect(describeProgress({ stage: 'failed', reason: 'cannot sign: locked' })).toBe('Failed: cannot sign: locked');
});

test('a renewal costs what the pallet charges: each window rounded up to the planck', () => {
  const GIB = 1024 ** 3;
  expect(renewalCost(GIB, 10n, 3)).toBe(30n);
  // Half a GiB at an odd price: 2.5 plancks a window, charged 3.
  expect(renewalCost(GIB / 2, '5', 4)).toBe(12n);
  expect(renewalCost(1, 1, 1)).toBe(1n);
  expect(renewalCost(3 * 1024 * 1024, 10_000_000_000n, 2)).toBe(2n * 29_296_875n);
  expect(renewalCost(0, 10n, 5)).toBe(0n);
});

test('a fragment\'s state, as the grid colours it', () => {
  const base = { state: 'active', acceptBy: null, misses: 0, lastProven: null } as unknown as Contract;
  expect(fragmentState({ ...base, state: 'pending', acceptBy: 40 })).toEqual({ kind: 'pending', words: 'pending, to be accepted by block #40' });
  expect(fragmentState(base)).toEqual({ kind: 'waiting', words: 'active, not proven yet' });
  expect(fragmentState({ ...base, lastProven: 6 })).toEqual({ kind: 'proven', words: 'active, proven in window 6' });
  // A miss outweighs an older proof.
  expect(fragmentState({ ...base, lastProven: 6, misses: 2 })).toEqual({ kind: 'missing', words: 'active, 2 window(s) missed in a row' });
});

test("only http(s) addresses another node listed become links", () => {
  expect(webAddress('http://10.0.0.7:8090/apps/wiki/')).toBe('http://10.0.0.7:8090/apps/wiki/');
  expect(webAddress('https://mesh.example.org/apps/map/')).toBe('https://mesh.example.org/apps/map/');
  for (const bad of ['javascript:alert(1)//apps/x/', 'data:text/html,hi', 'file:///etc/passwd', 'not a url', '']) {
    expect(webAddress(bad)).toBeUndefined();
  }
});
