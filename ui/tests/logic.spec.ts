// The wallet's logic without a browser: amounts, sizes, names, errors and the gateway's
// links, as the screens use them. (Playwright's runner runs these as plain Node.js tests.)

import { expect, test } from '@playwright/test';
import { accountLabel, describeRpcError, formatAmount, formatBytes, parseAmount, rpcMessage, shortAddress } from '../src/chain';
import { downloadUrl } from '../src/gateway';
import { mergeWindows, type WindowRecord } from '../src/screens/holdings';

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
