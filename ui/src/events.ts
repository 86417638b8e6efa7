// Chain events in words: the event's documentation and its fields by name, with amounts
// in CRN and accounts shortened, instead of raw JSON.

import type { EventRecord } from '@polkadot/types/interfaces';
import type { Codec } from '@polkadot/types/types';
import type { Chain } from './chain';
import { formatAmount, shortAddress } from './chain';

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
      return `${humanName(name)}: ${formatValue(chain, event.data[i], field.typeName.isSome ? field.typeName.unwrap().toString() : '')}`;
    })
    .join(', ');
  return { block, title: `${capitalize(event.section)} · ${event.method}`, text, fields };
}

function formatValue(chain: Chain, value: Codec, typeName: string): string {
  if (/Balance/.test(typeName)) return formatAmount(value.toString(), chain.token);
  if (/AccountId/.test(typeName)) return shortAddress(value.toString());
  const human = value.toHuman();
  const text = typeof human === 'string' ? human : JSON.stringify(human);
  return text.length > 66 ? `${text.slice(0, 64)}…` : text;
}

function humanName(name: string): string {
  return name.replace(/_/g, ' ');
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
