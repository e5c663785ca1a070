#!/usr/bin/env bash
# Benchmark: `orgpool discover` over a 2,000-account organization served by a
# real moto_server (issue 4: report time, API calls and peak memory), beside the
# naive method in the same run: a sequential boto3 script that lists the
# accounts and asks ListParents for each one (the usual hand-written inventory).
#
# Usage: bench/discover_2000.sh [ACCOUNTS]   (default 2000)
set -euo pipefail
cd "$(dirname "$0")/.."
accounts="${1:-2000}"
out="${BENCH_OUT:-bench/out}/discover-$accounts"
mkdir -p "$out"
source bench/lib.sh
port=$("$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$(dirname "$python")/moto_server" -H 127.0.0.1 -p "$port" > "$out/moto.log" 2>&1 &
moto=$!
trap 'kill $moto 2>/dev/null || true' EXIT
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true MOTO_ENDPOINT="http://127.0.0.1:$port"
for _ in $(seq 100); do "$python" -c "import socket; socket.create_connection(('127.0.0.1', $port))" 2>/dev/null && break; sleep 0.2; done

echo "building a $accounts-account organization in moto (20 OUs in two levels) ..."
"$python" - "$accounts" <<'PY'
import boto3, os, sys
n = int(sys.argv[1])
org = boto3.client("organizations", endpoint_url=os.environ["MOTO_ENDPOINT"])
org.create_organization(FeatureSet="ALL")
root = org.list_roots()["Roots"][0]["Id"]
tops = [org.create_organizational_unit(ParentId=root, Name="top-%d" % i)["OrganizationalUnit"]["Id"] for i in range(4)]
ous = tops + [org.create_organizational_unit(ParentId=tops[i % 4], Name="team-%d" % i)["OrganizationalUnit"]["Id"] for i in range(16)]
for i in range(n - 1):
    acct = org.create_account(Email="a%d@example.com" % i, AccountName="acct-%d" % i)["CreateAccountStatus"]["AccountId"]
    org.move_account(AccountId=acct, SourceParentId=root, DestinationParentId=ous[i % len(ous)])
PY

read -r o_secs o_rss < <(timed "$out" orgpool "$bin" discover --out "$out/org.json" --endpoint-url "$MOTO_ENDPOINT" --regions us-east-1 --format json)
calls=$("$python" -c "import json; print(json.load(open('$out/orgpool.stdout'))['api_calls'])")
found=$("$python" -c "import json; print(json.load(open('$out/orgpool.stdout'))['counts']['accounts'])")
read -r n_secs n_rss < <(timed "$out" naive "$python" -c "
import boto3, os
org = boto3.client('organizations', endpoint_url=os.environ['MOTO_ENDPOINT'])
accounts = [a['Id'] for p in org.get_paginator('list_accounts').paginate() for a in p['Accounts']]
parents = {a: org.list_parents(ChildId=a)['Parents'][0]['Id'] for a in accounts}
print(len(parents))
")
printf '\naccounts: %s (orgpool found %s)\n' "$accounts" "$found"
printf '%-62s %10s %10s %12s\n' "task" "seconds" "API calls" "peak MiB"
printf '%-62s %10.2f %10s %12.0f\n' "orgpool discover (org, OUs, policies, SSO, trails, roles, resource and identity policies)" "$o_secs" "$calls" "$((o_rss / 1024))"
printf '%-62s %10.2f %10s %12.0f\n' "naive boto3: list accounts + ListParents each (nothing else)" "$n_secs" "$((accounts / 20 + 1 + accounts))" "$((n_rss / 1024))"
awk -v o="$o_secs" -v n="$n_secs" 'BEGIN { printf "ratio naive/orgpool time: %.2f\n", n / o }'
