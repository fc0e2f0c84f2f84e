/* Followers of bench/log-pipeline.sh: FOLLOWERS server-sent-event clients of one deployment's log, all in one
 * thread over epoll, in C so that measuring costs the two cores little (two Python processes took about half).
 *
 *     [LOG_FORMAT=lines|batches] log-follow HOST PORT DEPLOYMENT LINES FOLLOWERS
 *
 * Each follower sends `GET /api/v1/deployments/ID/logs/stream?format=LOG_FORMAT` over HTTP/1.1, as a browser
 * does, undoes the chunked transfer encoding and parses every event: `event: log`, a line each (format
 * `lines`, the default), or `event: lines`, a batch of lines in runs (format `batches`). Checks, per follower:
 * - event ids strictly increase (no duplicates, nothing out of order, also across reconnects), and so do the
 *   ids of the lines inside a batch;
 * - the stdout lines are "<n> <time> ...", n = 0, 1, 2, ... LINES-1 with none missing or repeated;
 * - it ends with `event: end`. A stream the server closes earlier (a follower too far behind) is resumed with
 *   Last-Event-ID, as a browser does, and counted as a reconnect.
 * Lag: for every stdout line, the wall clock when the read that brought it returned minus the time written in
 * the line. Prints a report and one `result` line of key=value pairs for the driver (times are Unix seconds).
 */
#define _GNU_SOURCE /* memmem */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define READ_SIZE (1 << 20)
/* Lag histogram: 100 µs buckets up to 10 minutes. */
#define BUCKET_US 100
#define BUCKETS (600 * 1000000 / BUCKET_US)

struct follower {
    int fd;
    int in_body;            /* past the response headers */
    int chunk_state;        /* chunked body: 0 in a size line, 1 in data, 2 in the CRLF after data */
    long chunk_left;        /* bytes of data left in the current chunk, or the size being read */
    char *pending;          /* an unfinished line carried over to the next read */
    size_t pending_len, pending_cap;
    int event_is_log, event_is_batch, event_is_end;
    long long event_id;     /* id of the event being parsed, -1 if none yet */
    int event_has_line;     /* the event is a stdout line of the generator: */
    long event_n;           /* its number */
    double event_written;   /* and the time written in it */
    long batch_count;       /* a batch's stdout lines, checked at its data line and counted at its end: */
    long batch_first_n;     /* the n of its first, */
    long long batch_last_id;/* the id of its last line (of any stream), */
    double *batch_written;  /* and the time written in each */
    long batch_cap;
    long long last_id;      /* last event id seen */
    long next_line;         /* the n expected in the next stdout line */
    long errors;            /* ids not increasing, or stdout lines out of sequence */
    int done;
    int reconnects;
    double complete_at;     /* when it had all LINES lines */
};

static const char *host;
static const char *format = "lines";
static int port;
static long deployment, lines;
static uint32_t *histogram;
static double lag_max, lag_sum;
static long long lag_count;
static double first_written = 0; /* time in line 0 */
static long long body_bytes;      /* event-stream bytes received by all followers (chunked encoding undone) */

static double wall(void) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static void die(const char *what) {
    perror(what);
    exit(1);
}

static void connect_follower(int epoll, struct follower *f, int index) {
    f->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (f->fd < 0) die("socket");
    int size = 4 << 20;
    setsockopt(f->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &address.sin_addr) != 1) {
        fprintf(stderr, "log-follow: HOST must be an IPv4 address, got %s\n", host);
        exit(2);
    }
    if (connect(f->fd, (struct sockaddr *)&address, sizeof address) < 0) die("connect");
    char request[1024];
    int n;
    /* The API token, as every client sends it (bench/auth.sh exports it). */
    const char *token = getenv("WAVELINE_TOKEN");
    if (token == NULL) token = "";
    if (f->last_id > 0)
        n = snprintf(request, sizeof request,
                     "GET /api/v1/deployments/%ld/logs/stream?format=%s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nLast-Event-ID: %lld\r\n\r\n",
                     deployment, format, host, token, f->last_id);
    else
        n = snprintf(request, sizeof request, "GET /api/v1/deployments/%ld/logs/stream?format=%s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n\r\n",
                     deployment, format, host, token);
    if (write(f->fd, request, (size_t)n) != n) die("write");
    f->in_body = 0;
    f->chunk_state = 0;
    f->chunk_left = 0;
    f->pending_len = 0;
    f->event_is_log = f->event_is_batch = f->event_is_end = f->event_has_line = 0;
    f->batch_count = 0;
    f->event_id = -1;
    struct epoll_event event = {.events = EPOLLIN, .data.u32 = (uint32_t)index};
    if (epoll_ctl(epoll, EPOLL_CTL_ADD, f->fd, &event) < 0) die("epoll_ctl");
}

static long parse_long(const char *p, const char *end, const char **stop) {
    long v = 0;
    while (p < end && *p >= '0' && *p <= '9') v = v * 10 + (*p++ - '0');
    *stop = p;
    return v;
}

/* "<n> <seconds>.<micro>": the line number and the time it was written. Once per line of every follower: the
 * fraction is scaled by a table rather than a loop and a division. */
static int parse_text(const char *p, const char *end, long *n, double *written) {
    static const double scale[] = {1, 1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9};
    const char *q;
    *n = parse_long(p, end, &q);
    if (q == p || q >= end || *q != ' ') return 0;
    p = q + 1;
    long s = parse_long(p, end, &q);
    if (q == p || q >= end || *q != '.') return 0;
    p = q + 1;
    long f = parse_long(p, end, &q);
    if (q - p > 9) return 0;
    *written = (double)s + (double)f * scale[q - p];
    return 1;
}

/* The closing quote of a JSON string whose text starts at `value`: one not escaped by an odd number of
 * backslashes. */
static const char *string_end(const char *value, const char *end) {
    const char *close = value;
    for (;;) {
        close = memchr(close, '"', (size_t)(end - close));
        if (!close) return NULL;
        const char *b = close;
        while (b > value && b[-1] == '\\') b--;
        if ((close - b) % 2 == 0) return close;
        close++;
    }
}

/* A JSON object's key at `p` (at its opening quote): its text and length, and where its value starts; NULL if
 * there is no `"key":` there. */
static const char *json_key(const char *p, const char *end, const char **key, size_t *length) {
    *key = p + 1;
    const char *q = memchr(*key, '"', (size_t)(end - *key));
    if (!q || q + 1 >= end || q[1] != ':') return NULL;
    *length = (size_t)(q - *key);
    return q + 2;
}

/* The "stream" and "text" values of a log line's JSON, a flat object (any key order), in one pass that jumps
 * over string values with memchr: searching the whole line for each key was most of the followers' CPU. */
static int scan_line_json(const char *p, const char *end, int *is_stdout, const char **text, const char **text_end) {
    if (p >= end || *p != '{') return 0;
    p++;
    while (p < end && *p == '"') {
        const char *key;
        size_t key_length;
        if (!(p = json_key(p, end, &key, &key_length))) return 0;
        if (p < end && *p == '"') {
            const char *value = p + 1, *close = string_end(value, end);
            if (!close) return 0;
            if (key_length == 6 && memcmp(key, "stream", 6) == 0)
                *is_stdout = close - value == 6 && memcmp(value, "stdout", 6) == 0;
            else if (key_length == 4 && memcmp(key, "text", 4) == 0) {
                *text = value;
                *text_end = close;
            }
            p = close + 1;
        } else { /* a number (or true, false, null) */
            while (p < end && *p != ',' && *p != '}') p++;
        }
        if (p < end && *p == ',') p++;
        else break;
    }
    return p < end && *p == '}';
}

static void record_lag(double lag) {
    if (lag < 0) lag = 0;
    long bucket = (long)(lag * 1e6 / BUCKET_US);
    if (bucket >= BUCKETS) bucket = BUCKETS - 1;
    histogram[bucket]++;
    if (lag > lag_max) lag_max = lag;
    lag_sum += lag;
    lag_count++;
}

static void batch_line(struct follower *f, long n, double written) {
    if (f->batch_count == f->batch_cap) {
        f->batch_cap = f->batch_cap ? f->batch_cap * 2 : 1024;
        f->batch_written = realloc(f->batch_written, (size_t)f->batch_cap * sizeof *f->batch_written);
    }
    if (f->batch_count == 0) f->batch_first_n = n;
    else if (n != f->batch_first_n + f->batch_count) f->errors++;
    f->batch_written[f->batch_count++] = written;
}

/* The data of an `event: lines`: {"runs":[{"node":..,"stream":..,"step":..,"lines":[[id,seq,time,"text"],..]},..]}
 * (a run's "lines" after its "stream", as the server writes them). Checks the order of the ids in it and keeps
 * the generator's stdout lines for the end of the event. */
static int scan_batch_json(struct follower *f, const char *p, const char *end) {
    static const char open_runs[] = "{\"runs\":[";
    if ((size_t)(end - p) < sizeof open_runs - 1 || memcmp(p, open_runs, sizeof open_runs - 1) != 0) return 0;
    p += sizeof open_runs - 1;
    long long last_id = f->last_id;
    while (p < end && *p == '{') { /* a run */
        int is_stdout = 0;
        p++;
        while (p < end && *p == '"') {
            const char *key;
            size_t key_length;
            if (!(p = json_key(p, end, &key, &key_length))) return 0;
            if (key_length == 5 && memcmp(key, "lines", 5) == 0) {
                if (p >= end || *p != '[') return 0;
                p++;
                while (p < end && *p == '[') { /* [id,seq,time,"text"] */
                    const char *stop;
                    long long id = parse_long(p + 1, end, &stop);
                    if (stop == p + 1 || id <= last_id) f->errors++;
                    last_id = id;
                    p = memchr(stop, '"', (size_t)(end - stop)); /* past seq and time: numbers */
                    if (!p) return 0;
                    const char *text = p + 1, *close = string_end(text, end);
                    if (!close || close + 1 >= end || close[1] != ']') return 0;
                    if (is_stdout) {
                        long n;
                        double written;
                        if (!parse_text(text, close, &n, &written)) f->errors++;
                        else batch_line(f, n, written);
                    }
                    p = close + 2;
                    if (p < end && *p == ',') p++;
                }
                if (p >= end || *p != ']') return 0;
                p++;
            } else if (p < end && *p == '"') {
                const char *value = p + 1, *close = string_end(value, end);
                if (!close) return 0;
                if (key_length == 6 && memcmp(key, "stream", 6) == 0)
                    is_stdout = close - value == 6 && memcmp(value, "stdout", 6) == 0;
                p = close + 1;
            } else {
                return 0;
            }
            if (p < end && *p == ',') p++;
            else break;
        }
        if (p >= end || *p != '}') return 0;
        p++;
        if (p < end && *p == ',') p++;
    }
    f->batch_last_id = last_id;
    return end - p == 2 && p[0] == ']' && p[1] == '}';
}

/* One line of the body, without its "\n". */
static void body_line(struct follower *f, const char *p, size_t length, double now) {
    const char *end = p + length;
    if (length == 0) { /* the end of an event */
        /* An event counts once complete: a stream cut inside one is resumed from the event before. */
        if (f->event_id >= 0) {
            if (f->event_id <= f->last_id) f->errors++;
            f->last_id = f->event_id;
        }
        if (f->event_is_batch) {
            if (f->event_id != f->batch_last_id) f->errors++;
            for (long i = 0; i < f->batch_count; i++) {
                if (f->batch_first_n + i != f->next_line) f->errors++;
                f->next_line = f->batch_first_n + i + 1;
                if (f->next_line == 1 && first_written == 0) first_written = f->batch_written[i];
                record_lag(now - f->batch_written[i]);
            }
            if (f->next_line == lines && f->complete_at == 0) f->complete_at = now;
            f->batch_count = 0;
        }
        if (f->event_has_line) {
            if (f->event_n != f->next_line) f->errors++;
            f->next_line = f->event_n + 1;
            if (f->event_n == 0 && first_written == 0) first_written = f->event_written;
            record_lag(now - f->event_written);
            if (f->next_line == lines && f->complete_at == 0) f->complete_at = now;
        }
        if (f->event_is_end) f->done = 1;
        f->event_is_log = f->event_is_batch = f->event_is_end = f->event_has_line = 0;
        f->event_id = -1;
        return;
    }
    if (length >= 7 && memcmp(p, "event: ", 7) == 0) {
        f->event_is_log = length == 10 && memcmp(p + 7, "log", 3) == 0;
        f->event_is_batch = length == 12 && memcmp(p + 7, "lines", 5) == 0;
        f->event_is_end = length == 10 && memcmp(p + 7, "end", 3) == 0;
    } else if (length >= 4 && memcmp(p, "id: ", 4) == 0) {
        const char *q;
        f->event_id = parse_long(p + 4, end, &q);
    } else if (f->event_is_batch && length >= 6 && memcmp(p, "data: ", 6) == 0) {
        f->batch_count = 0;
        if (!scan_batch_json(f, p + 6, end)) f->errors++;
    } else if (f->event_is_log && length >= 6 && memcmp(p, "data: ", 6) == 0) {
        int is_stdout = 0;
        const char *text = NULL, *text_end = NULL;
        if (!scan_line_json(p + 6, end, &is_stdout, &text, &text_end)) {
            f->errors++;
            return;
        }
        if (!is_stdout) return;
        if (!text || !parse_text(text, text_end, &f->event_n, &f->event_written)) {
            f->errors++;
            return;
        }
        f->event_has_line = 1;
    }
}

/* Bytes of the event stream (the chunked encoding undone). */
static void events(struct follower *f, char *data, size_t size, double now) {
    char *p = data, *end = data + size;
    if (f->pending_len) {
        /* Complete the carried-over line first. */
        char *newline = memchr(p, '\n', size);
        size_t take = newline ? (size_t)(newline - p) : size;
        if (f->pending_len + take > f->pending_cap) {
            f->pending_cap = (f->pending_len + take) * 2;
            f->pending = realloc(f->pending, f->pending_cap);
        }
        memcpy(f->pending + f->pending_len, p, take);
        f->pending_len += take;
        if (!newline) return;
        body_line(f, f->pending, f->pending_len, now);
        f->pending_len = 0;
        p = newline + 1;
    }
    while (p < end) {
        char *newline = memchr(p, '\n', (size_t)(end - p));
        if (!newline) {
            size_t take = (size_t)(end - p);
            if (take > f->pending_cap) {
                f->pending_cap = take * 2;
                f->pending = realloc(f->pending, f->pending_cap);
            }
            memcpy(f->pending, p, take);
            f->pending_len = take;
            return;
        }
        body_line(f, p, (size_t)(newline - p), now);
        p = newline + 1;
    }
}

static void received(struct follower *f, char *data, size_t size, double now) {
    if (!f->in_body) {
        /* Headers: kept in `pending` until the blank line. */
        if (f->pending_len + size > f->pending_cap) {
            f->pending_cap = (f->pending_len + size) * 2;
            f->pending = realloc(f->pending, f->pending_cap);
        }
        memcpy(f->pending + f->pending_len, data, size);
        f->pending_len += size;
        char *blank = memmem(f->pending, f->pending_len, "\r\n\r\n", 4);
        if (!blank) return;
        if (strncmp(f->pending, "HTTP/1.1 200", 12) != 0 && strncmp(f->pending, "HTTP/1.0 200", 12) != 0) {
            fprintf(stderr, "log-follow: %.*s\n", (int)(blank - f->pending), f->pending);
            exit(1);
        }
        if (!memmem(f->pending, (size_t)(blank - f->pending), "chunked", 7)) {
            fprintf(stderr, "log-follow: expected a chunked body\n");
            exit(1);
        }
        size_t header = (size_t)(blank + 4 - f->pending);
        size_t rest = f->pending_len - header;
        f->in_body = 1;
        f->pending_len = 0;
        if (rest) {
            char *copy = malloc(rest);
            memcpy(copy, f->pending + header, rest);
            received(f, copy, rest, now);
            free(copy);
        }
        return;
    }
    char *p = data, *end = data + size;
    while (p < end) {
        if (f->chunk_state == 0) { /* hex size, then CRLF */
            if (*p == '\n') {
                if (f->chunk_left == 0) { /* the last chunk: the server ended the response */
                    f->chunk_state = 3;
                    return;
                }
                f->chunk_state = 1;
            } else if (*p != '\r') {
                int digit = *p >= 'a' ? *p - 'a' + 10 : *p >= 'A' ? *p - 'A' + 10 : *p - '0';
                f->chunk_left = f->chunk_left * 16 + digit;
            }
            p++;
        } else if (f->chunk_state == 1) {
            size_t take = (size_t)(end - p) < (size_t)f->chunk_left ? (size_t)(end - p) : (size_t)f->chunk_left;
            body_bytes += (long long)take;
            events(f, p, take, now);
            p += take;
            f->chunk_left -= (long)take;
            if (f->chunk_left == 0) f->chunk_state = 2;
        } else if (f->chunk_state == 2) { /* CRLF after the data */
            if (*p == '\n') f->chunk_state = 0;
            p++;
        } else {
            return;
        }
    }
}

static double percentile(double p) {
    long long want = (long long)(p * lag_count), seen = 0;
    for (long b = 0; b < BUCKETS; b++) {
        seen += histogram[b];
        if (seen > want) return (b + 1) * BUCKET_US / 1e6;
    }
    return lag_max;
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: log-follow HOST PORT DEPLOYMENT LINES FOLLOWERS\n");
        return 2;
    }
    host = argv[1];
    port = atoi(argv[2]);
    deployment = atol(argv[3]);
    lines = atol(argv[4]);
    int count = atoi(argv[5]);
    if (getenv("LOG_FORMAT") && *getenv("LOG_FORMAT")) format = getenv("LOG_FORMAT");
    histogram = calloc(BUCKETS, sizeof *histogram);
    struct follower *followers = calloc((size_t)count, sizeof *followers);
    char *data = malloc(READ_SIZE);
    int epoll = epoll_create1(0);
    if (epoll < 0) die("epoll_create1");
    for (int i = 0; i < count; i++) connect_follower(epoll, &followers[i], i);
    int open = count;
    struct epoll_event events[64];
    while (open > 0) {
        int ready = epoll_wait(epoll, events, 64, 60000);
        if (ready < 0) {
            if (errno == EINTR) continue;
            die("epoll_wait");
        }
        if (ready == 0) {
            fprintf(stderr, "log-follow: nothing received for 60 s\n");
            break;
        }
        for (int e = 0; e < ready; e++) {
            struct follower *f = &followers[events[e].data.u32];
            ssize_t n = read(f->fd, data, READ_SIZE);
            if (n < 0) {
                if (errno == EINTR || errno == EAGAIN) continue;
                die("read");
            }
            if (n > 0) {
                received(f, data, (size_t)n, wall());
                if (f->chunk_state != 3) continue; /* else the response ended: the connection is not reused */
            }
            epoll_ctl(epoll, EPOLL_CTL_DEL, f->fd, NULL);
            close(f->fd);
            if (f->done) {
                open--;
            } else { /* ended by the server before the end event: resume from the last id */
                f->reconnects++;
                connect_follower(epoll, f, (int)events[e].data.u32);
            }
        }
    }
    int complete = 0, reconnects = 0;
    long least = lines;
    double first_all = 0, all = 0;
    long errors = 0;
    for (int i = 0; i < count; i++) {
        struct follower *f = &followers[i];
        if (f->done && f->errors == 0 && f->next_line == lines) complete++;
        if (f->next_line < least) least = f->next_line;
        reconnects += f->reconnects;
        errors += f->errors;
        if (f->complete_at > 0 && (first_all == 0 || f->complete_at < first_all)) first_all = f->complete_at;
        if (f->complete_at > all) all = f->complete_at;
    }
    printf("followers complete and in order: %d/%d; sequence errors %ld; reconnects %d; lines of the least "
           "served follower %ld\n", complete, count, errors, reconnects, least);
    if (first_written > 0 && first_all > 0)
        printf("delivered: every line to the first follower in %.2f s (%.0f lines/s), to all %d in %.2f s\n",
               first_all - first_written, lines / (first_all - first_written), count, all - first_written);
    if (lag_count)
        printf("event-stream bytes per line (format %s): %.0f\n", format, (double)body_bytes / lag_count);
    if (lag_count)
        printf("lag write→delivery (every line of every follower, %lld samples): p50 %.0f ms, p99 %.0f ms, "
               "max %.0f ms, mean %.0f ms\n", lag_count, percentile(0.50) * 1000, percentile(0.99) * 1000,
               lag_max * 1000, lag_sum / lag_count * 1000);
    printf("result complete=%d followers=%d first_written=%.6f first_all=%.6f all=%.6f p50=%.4f p99=%.4f max=%.4f\n",
           complete, count, first_written, first_all, all, percentile(0.50), percentile(0.99), lag_max);
    return complete == count ? 0 : 1;
}
