// Where the page's accounts come from: a browser extension (polkadot{.js}, Talisman,
// SubWallet), or keys kept only in this page: the development accounts and a mnemonic the
// user types. The latter live in memory and are gone when the page closes.

// `@polkadot/extension-dapp` is loaded when an extension is used: it touches `window` as
// it loads, and most pages never need it.
const extensions = () => import('@polkadot/extension-dapp');
import { Keyring } from '@polkadot/keyring';
import type { KeyringPair } from '@polkadot/keyring/types';
import { cryptoWaitReady, mnemonicValidate } from '@polkadot/util-crypto';
import type { Signer } from '@polkadot/api/types';

export type AccountSource = 'extension' | 'development' | 'mnemonic';

export interface Account {
  address: string;
  name: string;
  source: AccountSource;
  /** A key held by the page (development or mnemonic); extension accounts sign in the extension. */
  pair?: KeyringPair;
}

/** What `signAndSend` takes: the page's key, or the address and the extension's signer. */
export async function signerOf(account: Account): Promise<{ from: KeyringPair | string; signer?: Signer }> {
  if (account.pair) return { from: account.pair };
  const injected = await (await extensions()).web3FromAddress(account.address);
  return { from: account.address, signer: injected.signer };
}

const DEV_NAMES = ['Alice', 'Bob', 'Charlie', 'Dave', 'Eve', 'Ferdie'];

/** The development chain's well-known accounts (`//Alice`, ...), with the chain's SS58 prefix. */
export async function developmentAccounts(ss58: number): Promise<Account[]> {
  await cryptoWaitReady();
  const keyring = new Keyring({ type: 'sr25519', ss58Format: ss58 });
  return DEV_NAMES.map((name) => {
    const pair = keyring.addFromUri(`//${name}`, { name });
    return { address: pair.address, name, source: 'development', pair };
  });
}

/** An account from a mnemonic (with an optional `//derivation`), or an error that says why not. */
export async function mnemonicAccount(phrase: string, name: string, ss58: number): Promise<Account> {
  await cryptoWaitReady();
  const [words, ...path] = phrase.trim().split('//');
  if (!mnemonicValidate(words.trim())) {
    throw new Error('not a valid mnemonic: 12 or 24 words from the BIP-39 English list');
  }
  const keyring = new Keyring({ type: 'sr25519', ss58Format: ss58 });
  const uri = words.trim() + path.map((p) => `//${p}`).join('');
  const pair = keyring.addFromUri(uri, { name });
  return { address: pair.address, name: name || 'mnemonic', source: 'mnemonic', pair };
}

/** The accounts of the browser's extensions, after the user allowed this page; none if there is none. */
export async function extensionAccounts(ss58: number): Promise<Account[]> {
  const dapp = await extensions();
  const enabled = await dapp.web3Enable('Cairn wallet');
  if (enabled.length === 0) return [];
  const accounts = await dapp.web3Accounts({ ss58Format: ss58 });
  return accounts.map((a) => ({
    address: a.address,
    name: `${a.meta.name ?? 'account'} (${a.meta.source})`,
    source: 'extension',
  }));
}
