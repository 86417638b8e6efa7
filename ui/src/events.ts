// Chain events in words: the event's documentation and its fields by name, with amounts
// in CRN and accounts shortened, instead of raw JSON.

import type { DispatchError, EventRecord } from '@polkadot/types/interfaces';
import type { AnyJson, Codec } from '@polkadot/types/types';
import type { Chain } from './chain';
import { describeDispatchError, formatAmount, shortAddress } from './chain';

export interface EventInWords {
  block: number;
  /** `Balances · Transfer` */
  title: string;
  /** The first sentence of the event's documentation. */
  text: string;
  /** `from: 5Grw…utQY, to: 5FHn…94ty, amount: 1.5 CRN` */
  fields: string;
}

export function describeEvent(chain: Chain, block: number, record: EventRecord): EventInWords {
  const { event } = record;
  const docs = event.meta.docs.map((d) => d.toString()).join(' ').trim();
  const text = docs.split(/(?<=\.)\s/)[0] ?? '';
  const fields = event.meta.fields
    .map((field, i) => {
      const name = field.name.isSome ? field.name.unwrap().toString() : `${i}`;
      return `${words(name)}: ${formatValue(chain, event.data[i], field.typeName.isSome ? field.typeName.unwrap().toString() : '')}`;
    })
    .join(', ');
  return { block, title: `${capitalize(event.section)} · ${event.method}`, text, fields };
}

function formatValue(chain: Chain, value: Codec, typeName: string): string {
  if (/Balance/.test(typeName)) return formatAmount(value.toString(), chain.token);
  if (/AccountId/.test(typeName)) return shortAddress(value.toString());
  // A failed call: the pallet's error and its documentation, as a failed transaction reads.
  if (/DispatchError/.test(typeName)) return describeDispatchError(chain.api, value as DispatchError);
  const text = readable(value.toHuman());
  return text.length > 66 ? `${text.slice(0, 64)}…` : text;
}

/**
 * A decoded value as words rather than JSON: structures as `name: value` pairs (names
 * split into words), lists in brackets, empty values as `none`.
 */
export function readable(value: AnyJson): string {
  if (value === null || value === undefined) return 'none';
  if (Array.isArray(value)) return `[${value.map(readable).join(', ')}]`;
  if (typeof value === 'object') {
    const pairs = Object.entries(value).map(([key, v]) => `${words(key)}: ${readable(v)}`);
    return pairs.length ? `(${pairs.join(', ')})` : 'none';
  }
  return String(value);
}

/** `paysFee` and `pays_fee` as `pays fee`. */
function words(name: string): string {
  return name
    .replace(/_/g, ' ')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase();
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Events too frequent to be news: every extrinsic's success and fee. */
export function isRoutine(record: EventRecord): boolean {
  const { section, method } = record.event;
  return (
    (section === 'system' && method === 'ExtrinsicSuccess') ||
    (section === 'transactionPayment' && method === 'TransactionFeePaid')
  );
}
