#!/usr/bin/env bash
# Regenerates the TPM attestation test vectors in primitives/attestation/fixtures from
# two real software TPMs (swtpm) with EK certificates from a local test CA, and records
# what an independent software verifier (a reference implementation in Python, given as
# the first argument) says about them. The tests read only the committed fixtures.
#
# Usage: scripts/tpm-vectors.sh REF_VERIFIER.py [BASEPORT=24501]
# Needs: swtpm swtpm-tools tpm2-tools openssl python3-cryptography (Debian packages).
set -euo pipefail
REF=$(realpath "${1:?usage: scripts/tpm-vectors.sh REF_VERIFIER.py [BASEPORT]}")
BP=${2:-24501}
OUT=$(cd "$(dirname "$0")/.." && pwd)/primitives/attestation/fixtures
WD=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WD"; }
trap cleanup EXIT
say() { echo "tpm-vectors: $*" >&2; }

# The test CA: swtpm_localca makes a root and an intermediate on first use.
mkdir -p "$WD/ca" "$OUT"
cat > "$WD/ca/localca.conf" <<EOF
statedir = $WD/ca
signingkey = $WD/ca/signkey.pem
issuercert = $WD/ca/issuercert.pem
certserial = $WD/ca/certserial
EOF
printf -- '--platform-manufacturer Cairn\n--platform-version 2.1\n--platform-model swtpm\n' > "$WD/ca/localca.options"
cat > "$WD/ca/setup.conf" <<EOF
create_certs_tool = /usr/bin/swtpm_localca
create_certs_tool_config = $WD/ca/localca.conf
create_certs_tool_options = $WD/ca/localca.options
active_pcr_banks = sha256
EOF

start_tpm() { # name port
	mkdir -p "$WD/$1"
	swtpm_setup --tpm2 --tpmstate "$WD/$1" --create-ek-cert --create-platform-cert --lock-nvram \
		--pcr-banks sha256 --config "$WD/ca/setup.conf" --overwrite --logfile "$WD/$1.setup.log" >/dev/null
	swtpm socket --tpm2 --tpmstate dir="$WD/$1" --server type=tcp,port="$2",bindaddr=127.0.0.1 \
		--ctrl type=tcp,port=$(($2 + 1)),bindaddr=127.0.0.1 --flags not-need-init,startup-clear &
	PIDS+=("$!")
	sleep 0.3
}

make_ak() { # name port
	export TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$2"
	cd "$WD/$1"
	tpm2_nvread 0x01c00002 -C o -o ek_cert.der 2>/dev/null
	tpm2_createek -c ek.ctx -G rsa -u ek.pub >/dev/null; tpm2_flushcontext -t
	tpm2_createak -C ek.ctx -c ak.ctx -G ecc -g sha256 -s ecdsa -u ak.pem -f pem -n ak.name -r ak.priv >/dev/null
	tpm2_flushcontext -t
	tpm2_readpublic -c ak.ctx -o ak.tpm2b_pub -f tss >/dev/null; tpm2_flushcontext -t
	cd - >/dev/null
}

quote() { # name port qualifying-data-hex out-prefix
	export TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$2"
	tpm2_quote -c "$WD/$1/ak.ctx" -l sha256:0 -q "$3" -m "$4.msg" -s "$4.sig" -g sha256 >/dev/null
	tpm2_flushcontext -t
}

say "manufacturing TPMs a and b with the test CA"
start_tpm a "$BP"
start_tpm b $((BP + 2))
make_ak a "$BP"
make_ak b $((BP + 2))

openssl x509 -in "$WD/ca/swtpm-localca-rootca-cert.pem" -outform DER -out "$OUT/root_ca.der"
openssl x509 -in "$WD/ca/issuercert.pem" -outform DER -out "$OUT/issuer_ca.der"
for x in a b; do
	cp "$WD/$x/ek_cert.der" "$OUT/ek_$x.der"
	cp "$WD/$x/ak.tpm2b_pub" "$OUT/ak_$x.pub"
done

# The qualifying data of `activate` for the pallet's unit tests: genesis hash [69; 32]
# (frame-system's test genesis), request id 0 (u64 LE), account 1 (u64 LE), secrets
# [1; 32], [2; 32], [3; 32].
qd() { # request_id account
	python3 - "$1" "$2" <<'EOF'
import hashlib, struct, sys
rid, who = int(sys.argv[1]), int(sys.argv[2])
secrets = bytes([1] * 32 + [2] * 32 + [3] * 32)
h = hashlib.blake2b(secrets, digest_size=32).digest()
print(hashlib.sha256(b"TPMREG/activate/v1" + bytes([69] * 32) + struct.pack("<Q", rid) + struct.pack("<Q", who) + h).hexdigest())
EOF
}
QD=$(qd 0 1)
say "quotes over $QD"
quote a "$BP" "$QD" "$OUT/quote_a"
quote b $((BP + 2)) "$QD" "$OUT/quote_b"
quote a "$BP" "$(qd 7 1)" "$OUT/quote_a_other_request"

say "asking the reference verifier"
python3 "$REF" chain "$OUT/ek_a.der" "$WD/ca/issuercert.pem" "$WD/ca/swtpm-localca-rootca-cert.pem" >/dev/null
python3 "$REF" chain "$OUT/ek_b.der" "$WD/ca/issuercert.pem" "$WD/ca/swtpm-localca-rootca-cert.pem" >/dev/null
{
	echo "qualifying_data $QD"
	echo "ek_name_a $(python3 "$REF" ekname "$OUT/ek_a.der")"
	echo "ek_name_b $(python3 "$REF" ekname "$OUT/ek_b.der")"
	python3 "$REF" verifyquote "$OUT/ak_a.pub" "$OUT/ek_a.der" "$OUT/quote_a.msg" "$OUT/quote_a.sig" "$QD" |
		python3 -c "import ast,sys; d=ast.literal_eval(sys.stdin.read().split('QUOTE OK ',1)[1]); print('ak_name_a', d['ak_name']); print('ak_qn_a', d['qualified_signer'])"
	python3 "$REF" verifyquote "$OUT/ak_b.pub" "$OUT/ek_b.der" "$OUT/quote_b.msg" "$OUT/quote_b.sig" "$QD" |
		python3 -c "import ast,sys; d=ast.literal_eval(sys.stdin.read().split('QUOTE OK ',1)[1]); print('ak_name_b', d['ak_name']); print('ak_qn_b', d['qualified_signer'])"
	# MakeCredential's deterministic part, for a fixed seed: the reference's KDFa, AES-CFB
	# and HMAC applied to secret [9; 32] bound to AK a.
	python3 - "$REF" "$OUT/ek_a.der" "$OUT/ak_a.pub" <<'EOF'
import hmac, importlib.util, sys
spec = importlib.util.spec_from_file_location("ref", sys.argv[1]); ref = importlib.util.module_from_spec(spec); spec.loader.exec_module(ref)
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms
tpmt, _, alg = ref.parse_ak_public(open(sys.argv[3], "rb").read())
ak_name = ref.tpm_name(alg, tpmt)
seed, secret = bytes([7] * 32), bytes([9] * 32)
sym = ref.kdfa(ref.TPM_ALG_SHA256, seed, b"STORAGE", ak_name, b"", 128)
enc = Cipher(algorithms.AES(sym), ref.CFB(b"\0" * 16)).encryptor()
identity = enc.update(ref.b2(secret)) + enc.finalize()
key = ref.kdfa(ref.TPM_ALG_SHA256, seed, b"INTEGRITY", b"", b"", 256)
outer = hmac.new(key, identity + ak_name, "sha256").digest()
print("credential_id_object_seed7_secret9", (ref.b2(outer) + identity).hex())
EOF
} > "$OUT/reference.txt"
say "wrote $(ls "$OUT" | wc -l) files to $OUT"
