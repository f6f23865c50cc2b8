/* args.c — sigil-bench's command line and its mechanism table.
 *
 * What is signed is what a signing product (a PAdES/XAdES signer, OpenSSL's PKCS#11 provider)
 * sends to a token after hashing the document itself:
 *   ecdsa-p256   CKM_ECDSA over a SHA-256 digest (32 bytes)
 *   ecdsa-p384   CKM_ECDSA over a SHA-384 digest (48 bytes)
 *   rsa2048-pkcs CKM_RSA_PKCS over DigestInfo(SHA-256) || digest (51 bytes)
 *   rsa3072-pkcs the same with a 3072-bit key
 *   rsa2048-pss  CKM_RSA_PKCS_PSS over a SHA-256 digest, MGF1-SHA-256, 32-byte salt
 * so only the digest crosses the PKCS#11 boundary, never the document.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/obj_mac.h>

#include "bench.h"

static const bench_mech k_mechs[] = {
    {.name = "ecdsa-p256", .ec = true, .bits = 256, .curve_nid = NID_X9_62_prime256v1, .ec_group = "P-256",
     .ckm = CKM_ECDSA, .md = EVP_sha256, .digest_len = 32, .sig_len = 64},
    {.name = "ecdsa-p384", .ec = true, .bits = 384, .curve_nid = NID_secp384r1, .ec_group = "P-384",
     .ckm = CKM_ECDSA, .md = EVP_sha384, .digest_len = 48, .sig_len = 96},
    {.name = "rsa2048-pkcs", .bits = 2048, .ckm = CKM_RSA_PKCS, .md = EVP_sha256, .digest_len = 32, .sig_len = 256},
    {.name = "rsa2048-pss", .bits = 2048, .ckm = CKM_RSA_PKCS_PSS, .pss = true, .md = EVP_sha256,
     .digest_len = 32, .sig_len = 256},
    {.name = "rsa3072-pkcs", .bits = 3072, .ckm = CKM_RSA_PKCS, .md = EVP_sha256, .digest_len = 32, .sig_len = 384},
};

const bench_mech *bench_mech_find(const char *name)
{
    for (size_t i = 0; i < sizeof(k_mechs) / sizeof(k_mechs[0]); i++)
        if (strcmp(k_mechs[i].name, name) == 0)
            return &k_mechs[i];
    return NULL;
}

/* DER of DigestInfo up to the digest's OCTET STRING header (RFC 8017 §9.2 note 1). */
static const uint8_t k_di_sha256[] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65,
                                      0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
static const uint8_t k_di_sha384[] = {0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65,
                                      0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30};

const uint8_t *bench_digestinfo_prefix(const bench_mech *m, size_t *len)
{
    if (m->digest_len == 48) {
        *len = sizeof(k_di_sha384);
        return k_di_sha384;
    }
    *len = sizeof(k_di_sha256);
    return k_di_sha256;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: sigil-bench --module PATH [--token LABEL ...| --slots N] [--pin PIN]\n"
            "                   [--mechanism M] [--threads N] [--duration SEC | --ops N]\n"
            "                   [--rate R] [--compare] [--repeat N] [--json] [--verify-every N]\n"
            "  --module PATH       the PKCS#11 module to measure (for example libsigil-pkcs11.so)\n"
            "  --token LABEL       a token to sign with; repeat for several seals used at once\n"
            "  --slots N           use the first N initialised tokens instead (default: the first one)\n"
            "  --pin PIN           the user PIN (default: $SIGIL_USER_PIN); the same for every token\n"
            "  --mechanism M       ecdsa-p256 (default), ecdsa-p384, rsa2048-pkcs, rsa2048-pss, rsa3072-pkcs\n"
            "  --threads N         signing threads, each with its own session (default 1)\n"
            "  --duration SEC      timed part of a run (default 10)\n"
            "  --ops N             or: this many signatures in all\n"
            "  --rate R            offer R signatures per second in all, spread evenly over the threads\n"
            "                      (open loop: each signature's latency runs from its scheduled start,\n"
            "                      so time spent behind schedule counts); default: back to back\n"
            "  --warmup N          untimed signatures per thread first (default 5)\n"
            "  --verify-every N    verify 1 signature in N, and each thread's first and last (default 100)\n"
            "  --compare           the same workload against SoftHSMv2 (a token in a temporary directory)\n"
            "                      and raw in-process OpenSSL libcrypto (the machine's limit), with ratios\n"
            "  --compare-only      only SoftHSMv2 and libcrypto (no --module needed)\n"
            "  --softhsm-module P  default /usr/lib/softhsm/libsofthsm2.so\n"
            "  --repeat N          run each target N times, report each one's best run (default 1)\n"
            "  --json              one JSON object on stdout instead of the table\n"
            "The key used is \"sigil-bench-<mechanism>\" on each token, created on first use.\n"
            "Exit status: 0 when every signature succeeded and every sampled one verified.\n");
}

static int parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi || s[0] == '-')
        return -1;
    *out = v;
    return 0;
}

static int parse_uint(const char *opt, const char *s, unsigned lo, unsigned hi, unsigned *out)
{
    uint64_t v;
    if (parse_u64(s, lo, hi, &v) != 0) {
        fprintf(stderr, "sigil-bench: %s takes a number from %u to %u\n", opt, lo, hi);
        return -1;
    }
    *out = (unsigned)v;
    return 0;
}

int bench_parse_args(int argc, char **argv, bench_opts *o)
{
    enum { OPT_SOFTHSM = 1000, OPT_WARMUP, OPT_VERIFY, OPT_REPEAT, OPT_NO_SIGIL, OPT_RATE };
    static const struct option opts[] = {
        {"module", required_argument, NULL, 'm'},    {"token", required_argument, NULL, 't'},
        {"slots", required_argument, NULL, 's'},     {"pin", required_argument, NULL, 'p'},
        {"mechanism", required_argument, NULL, 'M'}, {"threads", required_argument, NULL, 'n'},
        {"duration", required_argument, NULL, 'd'},  {"ops", required_argument, NULL, 'o'},
        {"compare", no_argument, NULL, 'c'},         {"json", no_argument, NULL, 'j'},
        {"softhsm-module", required_argument, NULL, OPT_SOFTHSM},
        {"warmup", required_argument, NULL, OPT_WARMUP},
        {"verify-every", required_argument, NULL, OPT_VERIFY},
        {"repeat", required_argument, NULL, OPT_REPEAT},
        {"compare-only", no_argument, NULL, OPT_NO_SIGIL},
        {"rate", required_argument, NULL, OPT_RATE},
        {"help", no_argument, NULL, 'h'},            {NULL, 0, NULL, 0},
    };
    int c;
    char *end;

    memset(o, 0, sizeof(*o));
    o->mech = bench_mech_find("ecdsa-p256");
    o->threads = 1;
    o->verify_every = 100;
    o->warmup = 5;
    o->repeat = 1;
    o->softhsm_module = "/usr/lib/softhsm/libsofthsm2.so";
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'm':
            o->module = optarg;
            break;
        case 't':
            if (o->n_tokens >= BENCH_MAX_TOKENS) {
                fprintf(stderr, "sigil-bench: at most %u --token options\n", BENCH_MAX_TOKENS);
                return -1;
            }
            o->tokens[o->n_tokens++] = optarg;
            break;
        case 's':
            if (parse_uint("--slots", optarg, 1, BENCH_MAX_TOKENS, &o->slots) != 0)
                return -1;
            break;
        case 'p':
            o->pin = optarg;
            break;
        case 'M':
            o->mech = bench_mech_find(optarg);
            if (o->mech == NULL) {
                fprintf(stderr, "sigil-bench: unknown mechanism '%s' (ecdsa-p256, ecdsa-p384, rsa2048-pkcs, "
                                "rsa2048-pss, rsa3072-pkcs)\n", optarg);
                return -1;
            }
            break;
        case 'n':
            if (parse_uint("--threads", optarg, 1, BENCH_MAX_THREADS, &o->threads) != 0)
                return -1;
            break;
        case 'd':
            errno = 0;
            o->duration = strtod(optarg, &end);
            if (errno != 0 || end == optarg || *end != '\0' || !(o->duration > 0 && o->duration <= 86400)) {
                fprintf(stderr, "sigil-bench: --duration takes seconds, more than 0 and at most 86400\n");
                return -1;
            }
            break;
        case OPT_RATE:
            errno = 0;
            o->rate = strtod(optarg, &end);
            if (errno != 0 || end == optarg || *end != '\0' || !(o->rate >= 1 && o->rate <= 10000000)) {
                fprintf(stderr, "sigil-bench: --rate takes signatures per second, from 1 to 10000000\n");
                return -1;
            }
            break;
        case 'o':
            if (parse_u64(optarg, 1, UINT64_C(1) << 40, &o->ops) != 0) {
                fprintf(stderr, "sigil-bench: --ops takes a positive number\n");
                return -1;
            }
            break;
        case 'c':
            o->compare = true;
            break;
        case 'j':
            o->json = true;
            break;
        case OPT_SOFTHSM:
            o->softhsm_module = optarg;
            break;
        case OPT_WARMUP:
            if (parse_uint("--warmup", optarg, 0, 1000000, &o->warmup) != 0)
                return -1;
            break;
        case OPT_VERIFY:
            if (parse_uint("--verify-every", optarg, 1, 1000000000, &o->verify_every) != 0)
                return -1;
            break;
        case OPT_REPEAT:
            if (parse_uint("--repeat", optarg, 1, 100, &o->repeat) != 0)
                return -1;
            break;
        case OPT_NO_SIGIL:
            o->no_sigil = true;
            o->compare = true;
            break;
        case 'h':
            usage(stdout);
            return 1;
        default:
            usage(stderr);
            return -1;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "sigil-bench: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return -1;
    }
    if (o->module == NULL && !o->no_sigil) {
        fprintf(stderr, "sigil-bench: --module PATH is required\n");
        usage(stderr);
        return -1;
    }
    if (o->n_tokens > 0 && o->slots > 0) {
        fprintf(stderr, "sigil-bench: give either --token LABEL or --slots N, not both\n");
        return -1;
    }
    if (o->duration > 0 && o->ops > 0) {
        fprintf(stderr, "sigil-bench: give either --duration or --ops, not both\n");
        return -1;
    }
    if (o->duration == 0 && o->ops == 0)
        o->duration = 10;
    if (o->pin == NULL)
        o->pin = getenv("SIGIL_USER_PIN");
    if (o->pin == NULL && !o->no_sigil) {
        fprintf(stderr, "sigil-bench: no user PIN: give --pin PIN or set SIGIL_USER_PIN\n");
        return -1;
    }
    return 0;
}
