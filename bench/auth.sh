# Sourced by the benchmarks: their server's first start registers this admin API token
# (WAVELINE_INITIAL_ADMIN_TOKEN); `waveline` commands read WAVELINE_TOKEN, and curl, wrk and the C follower send
# it as `Authorization: Bearer`. Loopback benchmarks only: it is not a secret.
export WAVELINE_INITIAL_ADMIN_TOKEN=${WAVELINE_INITIAL_ADMIN_TOKEN:-wl_bench_admin_token_for_loopback_only_0001}
export WAVELINE_TOKEN=$WAVELINE_INITIAL_ADMIN_TOKEN
auth_header="Authorization: Bearer $WAVELINE_TOKEN"
