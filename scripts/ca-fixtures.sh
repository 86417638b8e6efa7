#!/usr/bin/env bash
# Makes the CA certificates the attestation tests and benchmarks need beyond the swtpm
# test CA, with openssl; the keys are thrown away, the tests read only the committed
# certificates.
#
# primitives/attestation/fixtures:
#   rollover_ca_old.der, rollover_ca_new.der  two P-384 CAs with one subject name and
#                                             different keys (a CA that rolled its key)
#   ek_a_rolled.der                           EK A's key certified by the new key, naming
#                                             it by authority key id
#   ek_a_rolled_no_aki.der                    the same without an authority key id
# pallets/attestation/benchmark-fixtures:
#   ca_p384.der, ek_p384.der                  the benchmark EK under a P-384 CA (ECDSA-SHA384)
#   ca_rsa4096.der, ek_rsa4096.der            and under an RSA-4096 CA (SHA384-RSA)
#
# Usage: scripts/ca-fixtures.sh   (needs openssl 3)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
FIX=$ROOT/primitives/attestation/fixtures
BENCH=$ROOT/pallets/attestation/benchmark-fixtures
WD=$(mktemp -d)
trap 'rm -rf "$WD"' EXIT
cd "$WD"

cat > ext.cnf <<'EOF'
[req]
distinguished_name = dn
[dn]
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ek]
basicConstraints = critical, CA:FALSE
keyUsage = critical, keyEncipherment
extendedKeyUsage = 2.23.133.8.1
authorityKeyIdentifier = keyid
subjectKeyIdentifier = none
[ek_no_aki]
basicConstraints = critical, CA:FALSE
keyUsage = critical, keyEncipherment
extendedKeyUsage = 2.23.133.8.1
subjectKeyIdentifier = none
authorityKeyIdentifier = none
EOF

# A self-signed CA: ca NAME KEYSPEC SUBJECT.
ca() {
	openssl genpkey $2 -out "$1.key" 2>/dev/null
	openssl req -new -x509 -key "$1.key" -subj "$3" -days 36500 -sha384 -config ext.cnf -extensions ca -out "$1.pem"
	openssl x509 -in "$1.pem" -outform DER -out "$1.der"
}

# An EK certificate for the public key of the EK certificate EK_DER: ek EK_DER CA OUT [EXT].
ek() {
	openssl x509 -in "$1" -inform DER -pubkey -noout > ek_pub.pem
	openssl x509 -new -subj "/CN=unknown" -force_pubkey ek_pub.pem -CA "$2.pem" -CAkey "$2.key" \
		-set_serial 7 -days 36500 -sha384 -extfile ext.cnf -extensions "${4:-ek}" -outform DER -out "$3"
}

P384="-algorithm EC -pkeyopt ec_paramgen_curve:secp384r1"
ca rollover_old "$P384" "/CN=Cairn rollover test CA"
ca rollover_new "$P384" "/CN=Cairn rollover test CA"
cp rollover_old.der "$FIX/rollover_ca_old.der"
cp rollover_new.der "$FIX/rollover_ca_new.der"
ek "$FIX/ek_a.der" rollover_new "$FIX/ek_a_rolled.der"
ek "$FIX/ek_a.der" rollover_new "$FIX/ek_a_rolled_no_aki.der" ek_no_aki

ca p384 "$P384" "/CN=Cairn benchmark P-384 CA"
ca rsa4096 "-algorithm RSA -pkeyopt rsa_keygen_bits:4096" "/CN=Cairn benchmark RSA-4096 CA"
for c in p384 rsa4096; do
	cp "$c.der" "$BENCH/ca_$c.der"
	ek "$BENCH/ek.der" "$c" "$BENCH/ek_$c.der"
done
echo "ca-fixtures: written to $FIX and $BENCH" >&2
