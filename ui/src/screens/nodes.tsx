// Nodes: the attested node registry (one TPM, one node), which of them validate or stand
// as candidates, and the endpoints they publish.

import { useEffect, useState } from 'preact/hooks';
import type { ScreenProps } from '../app';
import { accountLabel, formatAmount } from '../chain';

interface NodeRow {
  account: string;
  registeredAt: number;
  /** `genesis`, or the EK's id (TPM-attested). */
  attestation: string;
  validator: boolean;
  candidateBond: bigint | undefined;
  peerId: string | undefined;
  addresses: number;
}

export function NodesScreen({ chain, heads, accounts }: ScreenProps) {
  const [rows, setRows] = useState<NodeRow[]>();
  const [error, setError] = useState<string>();

  useEffect(() => {
    let current = true;
    const { api } = chain;
    (async () => {
      const [nodes, validators, candidates, endpoints] = await Promise.all([
        api.query.attestation.nodes.entries(),
        api.query.session.validators(),
        api.query.attestation.validatorCandidates(),
        api.query.endpoints.endpoints.entries(),
      ]);
      const validatorSet = new Set(validators.map((v) => v.toString()));
      const bonds = new Map(
        (candidates as unknown as [{ toString(): string }, { toBigInt(): bigint }][]).map(([who, bond]) => [
          who.toString(),
          bond.toBigInt(),
        ]),
      );
      const peers = new Map(
        endpoints.map(([key, value]) => {
          const endpoint = (value as unknown as { unwrap(): unknown }).unwrap() as { peerId: { toHex(): string }; addresses: unknown[] };
          return [key.args[0].toString(), { peerId: endpoint.peerId.toHex(), addresses: endpoint.addresses.length }];
        }),
      );
      const list = nodes.map(([key, value]) => {
        const account = key.args[0].toString();
        const node = (value as unknown as { unwrap(): unknown }).unwrap() as { ekId: { isSome: boolean; unwrap(): { toHex(): string } }; registeredAt: { toNumber(): number } };
        return {
          account,
          registeredAt: node.registeredAt.toNumber(),
          attestation: node.ekId.isSome ? `TPM ${node.ekId.unwrap().toHex().slice(0, 18)}…` : 'genesis',
          validator: validatorSet.has(account),
          candidateBond: bonds.get(account),
          peerId: peers.get(account)?.peerId,
          addresses: peers.get(account)?.addresses ?? 0,
        };
      });
      list.sort((a, b) => a.registeredAt - b.registeredAt || a.account.localeCompare(b.account));
      if (current) setRows(list);
    })().catch((e: unknown) => current && setError(`cannot read the node registry: ${e instanceof Error ? e.message : e}`));
    return () => {
      current = false;
    };
  }, [chain, heads.finalized]);

  return (
    <section>
      <h2>Nodes</h2>
      {error && <p class="error">{error}</p>}
      {!rows ? (
        <p>Loading the registry…</p>
      ) : (
        <table data-testid="nodes">
          <thead>
            <tr>
              <th>Account</th>
              <th>Attested by</th>
              <th class="num">Since block</th>
              <th>Role</th>
              <th>Endpoint</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr data-account={r.account}>
                <td title={r.account}>{accountLabel(r.account, accounts)}</td>
                <td>{r.attestation}</td>
                <td class="num">#{r.registeredAt}</td>
                <td data-testid="role">
                  {r.validator ? 'validator' : r.candidateBond !== undefined ? 'candidate' : 'node'}
                  {r.candidateBond !== undefined && ` (bond ${formatAmount(r.candidateBond, chain.token)})`}
                </td>
                <td title={r.peerId}>{r.peerId ? `${r.addresses} address(es)` : 'none published'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
