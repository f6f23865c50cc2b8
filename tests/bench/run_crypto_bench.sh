#!/bin/sh
# run_crypto_bench.sh — runs crypto_bench for every backend and mode RUNS times,
# interleaved (so that load from other processes spreads over all of them), and
# prints two Markdown tables: per mechanism and thread count, (1) the mean rate
# of each configuration, best of the runs with the spread (lowest..highest), and
# (2) the best 0.25 s window over all runs, with the ratios between configurations.
#
#   tests/bench/run_crypto_bench.sh BUILD_DIR [RUNS (3)] [SECONDS per measurement (3)] [THREADS (1,2)]
#
# BUILD_DIR is a configured build directory where `cmake --build BUILD_DIR
# --target crypto_bench` has run. Raw per-run lines go to BUILD_DIR/crypto_bench.tsv.
set -eu

build=${1:?usage: $0 BUILD_DIR [RUNS] [SECONDS] [THREADS]}
runs=${2:-3}
secs=${3:-3}
threads=${4:-1,2}
bin=$build/tests
raw=$build/crypto_bench.tsv

for b in mbedtls openssl; do
    if [ ! -x "$bin/crypto_bench_$b" ]; then
        echo "$bin/crypto_bench_$b missing: cmake --build $build --target crypto_bench" >&2
        exit 1
    fi
done

: >"$raw"
i=1
while [ "$i" -le "$runs" ]; do
    echo "run $i/$runs ..." >&2
    "$bin/crypto_bench_mbedtls" --seconds "$secs" --threads "$threads" >>"$raw"
    "$bin/crypto_bench_openssl" --seconds "$secs" --threads "$threads" >>"$raw"
    "$bin/crypto_bench_openssl" --seconds "$secs" --threads "$threads" --no-ctx-pool >>"$raw"
    "$bin/crypto_bench_openssl" --seconds "$secs" --threads "$threads" --raw >>"$raw"
    i=$((i + 1))
done

# Columns: backend mode mechanism threads seconds signatures sig_per_s best_window_per_s
awk -F'\t' -v runs="$runs" -v secs="$secs" '
function col(backend, mode) {
    if (backend ~ /^mbedtls/) return "mbedtls"
    if (mode == "backend") return "openssl"
    if (mode == "ctx-per-call") return "openssl-percall"
    return "raw"
}
{
    c = col($1, $2); key = $3 "\t" $4 "\t" c; r = $7 + 0; win = $8 + 0
    if (!(key in best) || r > best[key]) best[key] = r
    if (!(key in low) || r < low[key]) low[key] = r
    if (!(key in bwin) || win > bwin[key]) bwin[key] = win
    if (!(($3 "\t" $4) in seen)) { seen[$3 "\t" $4] = 1; order[n++] = $3 "\t" $4 }
    if ($1 ~ /^mbedtls/) mbed = $1; else ossl = $1
}
function cell(key) {
    if (!(key in best)) return "-"
    return sprintf("%d (%d..%d)", best[key], low[key], best[key])
}
function wcell(key) {
    return (key in bwin) ? sprintf("%d", bwin[key]) : "-"
}
function ratio(a, b, fmt) {
    return (b > 0) ? sprintf(fmt, a / b) : "-"
}
END {
    printf("Mean over each %g s measurement, signatures/s: best of %d runs, (lowest..highest) in brackets.\n\n", secs, runs)
    printf("| mechanism | threads | %s | %s, pooled ctx (shipped) | %s, ctx per call | raw libcrypto |\n", mbed, ossl, ossl)
    printf("|---|---|---|---|---|---|\n")
    for (i = 0; i < n; i++) {
        k = order[i]; split(k, f, "\t")
        printf("| %s | %s | %s | %s | %s | %s |\n", f[1], f[2], cell(k "\tmbedtls"),
               cell(k "\topenssl"), cell(k "\topenssl-percall"), cell(k "\traw"))
    }
    printf("\nBest 0.25 s window over the %d runs, signatures/s, and ratios of those:\n\n", runs)
    printf("| mechanism | threads | %s | %s, pooled ctx | %s, ctx per call | raw libcrypto | OpenSSL/mbedTLS | pooled/per call | backend/raw |\n", mbed, ossl, ossl)
    printf("|---|---|---|---|---|---|---|---|---|\n")
    for (i = 0; i < n; i++) {
        k = order[i]; split(k, f, "\t")
        m = bwin[k "\tmbedtls"]; o = bwin[k "\topenssl"]; p = bwin[k "\topenssl-percall"]; w = bwin[k "\traw"]
        printf("| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", f[1], f[2],
               wcell(k "\tmbedtls"), wcell(k "\topenssl"), wcell(k "\topenssl-percall"), wcell(k "\traw"),
               ratio(o, m, "%.1fx"), ratio(o, p, "%.2f"), ratio(o, w, "%.2f"))
    }
}' "$raw"
