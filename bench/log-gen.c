/* The node's step in bench/log-pipeline.sh: prints COUNT lines "<n> <unix seconds>.<microseconds> text", n from 0,
 * stamped with the wall clock when each line is made, at RATE lines/s (0: as fast as the pipe takes them).
 * In C so that the producer costs the two cores next to nothing (a Python loop took a fifth of them).
 *
 *     log-gen COUNT [RATE]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char buffer[1 << 16];
static size_t used;

static void drain(void) {
    size_t done = 0;
    while (done < used) {
        ssize_t n = write(1, buffer + done, used - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            exit(1);
        }
        done += (size_t)n;
    }
    used = 0;
}

/* Decimal digits of v at p; returns the count. */
static int digits(char *p, unsigned long v) {
    char tmp[24];
    int n = 0;
    do { tmp[n++] = (char)('0' + v % 10); v /= 10; } while (v);
    for (int i = 0; i < n; i++) p[i] = tmp[n - 1 - i];
    return n;
}

static double seconds(const struct timespec *t) { return (double)t->tv_sec + t->tv_nsec / 1e9; }

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: log-gen COUNT [RATE]\n");
        return 2;
    }
    long count = atol(argv[1]);
    double rate = argc > 2 ? atof(argv[2]) : 0;
    static const char text[] = " line of the log pipeline benchmark, with some text to make it look like a log line\n";
    struct timespec start, now;
    clock_gettime(CLOCK_REALTIME, &start);
    for (long i = 0; i < count; i++) {
        /* Pace in steps of 64 lines; write out what is buffered before sleeping, so no line waits in here. */
        if (rate > 0 && (i & 63) == 0) {
            clock_gettime(CLOCK_REALTIME, &now);
            double ahead = start.tv_sec + start.tv_nsec / 1e9 + i / rate - seconds(&now);
            if (ahead > 0.0002) {
                drain();
                struct timespec pause = {(time_t)ahead, (long)((ahead - (time_t)ahead) * 1e9)};
                nanosleep(&pause, NULL);
            }
        }
        if (used > sizeof buffer - 256) drain();
        clock_gettime(CLOCK_REALTIME, &now);
        char *p = buffer + used;
        p += digits(p, (unsigned long)i);
        *p++ = ' ';
        p += digits(p, (unsigned long)now.tv_sec);
        *p++ = '.';
        unsigned long micros = (unsigned long)now.tv_nsec / 1000;
        for (int d = 5; d >= 0; d--) { p[d] = (char)('0' + micros % 10); micros /= 10; }
        p += 6;
        memcpy(p, text, sizeof text - 1);
        p += sizeof text - 1;
        used = (size_t)(p - buffer);
        /* Unpaced, lines leave when the buffer is full (64 KiB, ~560 lines); paced, at every pause. */
    }
    drain();
    return 0;
}
