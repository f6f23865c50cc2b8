/* replay_main.c — main() for a fuzz target built without libFuzzer (gcc, CI).
 *
 * Usage: TARGET [-flag ...] PATH...
 * Runs LLVMFuzzerInitialize (when the target defines it), then
 * LLVMFuzzerTestOneInput once on every file given and on every regular file in
 * the directories given (not recursive, in name order, dot files skipped).
 * Arguments starting with '-' are ignored, so libFuzzer command lines work.
 * Each input is passed in a heap block of exactly its size. A failing check
 * aborts the program; exit status 1 when a path cannot be read or no input was
 * found at all (a missing corpus must not pass as an empty one).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_target.h"

/* Weak: a target without an initialiser leaves this NULL. */
extern int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    long size;

    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fprintf(stderr, "replay: cannot read %s\n", path);
        if (f != NULL)
            fclose(f);
        return -1;
    }
    buf = malloc(size > 0 ? (size_t)size : 1);
    if (buf == NULL || (size > 0 && fread(buf, 1, (size_t)size, f) != (size_t)size)) {
        fprintf(stderr, "replay: cannot read %s\n", path);
        free(buf);
        fclose(f);
        return -1;
    }
    fclose(f);
    fprintf(stderr, "replay: %s (%ld bytes)\n", path, size);
    (void)LLVMFuzzerTestOneInput(buf, (size_t)size);
    free(buf);
    return 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs every regular file of dir; returns the number run, or -1 on an error. */
static long run_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL;
    size_t n = 0, cap = 0;
    long ran = 0;

    if (d == NULL) {
        fprintf(stderr, "replay: cannot open directory %s\n", dir);
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **p = realloc(names, cap * sizeof(*names));
            if (p == NULL) {
                ran = -1;
                break;
            }
            names = p;
        }
        size_t sz = strlen(dir) + strlen(e->d_name) + 2;
        names[n] = malloc(sz);
        if (names[n] == NULL) {
            ran = -1;
            break;
        }
        snprintf(names[n], sz, "%s/%s", dir, e->d_name);
        n++;
    }
    closedir(d);
    if (ran == 0 && n > 0)
        qsort(names, n, sizeof(*names), cmp_names);
    for (size_t i = 0; i < n && ran >= 0; i++) {
        struct stat sb;
        if (stat(names[i], &sb) != 0) {
            ran = -1;
        } else if (S_ISREG(sb.st_mode)) {
            if (run_file(names[i]) != 0)
                ran = -1;
            else
                ran++;
        }
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return ran;
}

int main(int argc, char **argv)
{
    long total = 0;

    if (LLVMFuzzerInitialize != NULL)
        (void)LLVMFuzzerInitialize(&argc, &argv);
    for (int i = 1; i < argc; i++) {
        struct stat sb;
        if (argv[i][0] == '-')
            continue;
        if (stat(argv[i], &sb) != 0) {
            fprintf(stderr, "replay: no such file or directory: %s\n", argv[i]);
            return 1;
        }
        if (S_ISDIR(sb.st_mode)) {
            long n = run_dir(argv[i]);
            if (n < 0)
                return 1;
            total += n;
        } else {
            if (run_file(argv[i]) != 0)
                return 1;
            total++;
        }
    }
    if (total == 0) {
        fprintf(stderr, "replay: no input given or found\n");
        return 1;
    }
    printf("replay: %ld inputs, no failure\n", total);
    return 0;
}
