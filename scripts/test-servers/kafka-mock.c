/*
 * Test-only Kafka: librdkafka's mock cluster behind a tiny launcher.
 * Usage: kafka-mock [--brokers N] [--num-partitions N]
 *                   [--group-min-session-timeout-ms MS] [--group-max-session-timeout-ms MS]
 *                   [topic[:partitions]]...
 * Prints {"brokers":"127.0.0.1:port,..."} on stdout, then runs until SIGTERM/SIGINT.
 * The mock binds its listeners to 127.0.0.1 (INADDR_LOOPBACK) only.
 *
 * Broker settings default to stock Apache Kafka's, so tests meet what a real cluster
 * does: num.partitions=1 (a topic named without a count, or auto-created),
 * group.min.session.timeout.ms=6000 and group.max.session.timeout.ms=1800000 (a
 * JoinGroup outside that range is refused with INVALID_SESSION_TIMEOUT, which the
 * mock itself never checks).
 */
/* Internal headers (first: they set _GNU_SOURCE): the session-timeout check wraps the
 * mock's own JoinGroup handler, which only the pinned librdkafka's internals expose. */
#include "rdkafka_int.h"
#include "rdkafka_mock.h"
#include "rdkafka_mock_int.h"
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

static int min_session_ms = 6000, max_session_ms = 1800000;
static int (*mock_join_group)(rd_kafka_mock_connection_t *, rd_kafka_buf_t *);

/*
 * Peeks at a JoinGroup's session timeout (right after the group id in every version)
 * and, when a stock broker would refuse it, queues the refusal as the mock's next
 * JoinGroup error, which its own handler then answers with. The mock runs requests
 * one at a time, so that error is this request's.
 */
static int join_group_checked(rd_kafka_mock_connection_t *mconn, rd_kafka_buf_t *rkbuf) {
        const rd_bool_t log_decode_errors = rd_true;
        size_t body = rd_slice_offset(&rkbuf->rkbuf_reader);
        rd_kafkap_str_t group;
        int32_t session_ms;
        rd_kafka_buf_read_str(rkbuf, &group);
        rd_kafka_buf_read_i32(rkbuf, &session_ms);
        if (session_ms < min_session_ms || session_ms > max_session_ms)
                rd_kafka_mock_push_request_errors(mconn->broker->cluster, RD_KAFKAP_JoinGroup, 1,
                                                  RD_KAFKA_RESP_ERR_INVALID_SESSION_TIMEOUT);
err_parse: /* a request too short to read: the mock's handler reports it */
        rd_slice_seek(&rkbuf->rkbuf_reader, body);
        return mock_join_group(mconn, rkbuf);
}

/* Reads `--name value` at argv[*i] into *out; returns 1 if it was that option. */
static int option(int argc, char **argv, int *i, const char *name, int *out) {
        if (strcmp(argv[*i], name) != 0) return 0;
        if (*i + 1 >= argc) fprintf(stderr, "kafka-mock: %s needs a value\n", name), exit(2);
        *out = atoi(argv[++*i]);
        return 1;
}

int main(int argc, char **argv) {
        char err[256];
        int brokers = 1, num_partitions = 1, first = 1, sig;
        sigset_t stop;
        for (; first < argc && strncmp(argv[first], "--", 2) == 0; first++) {
                if (!option(argc, argv, &first, "--brokers", &brokers) &&
                    !option(argc, argv, &first, "--num-partitions", &num_partitions) &&
                    !option(argc, argv, &first, "--group-min-session-timeout-ms", &min_session_ms) &&
                    !option(argc, argv, &first, "--group-max-session-timeout-ms", &max_session_ms))
                        return fprintf(stderr, "kafka-mock: unknown option %s\n", argv[first]), 2;
        }
        if (brokers < 1 || brokers > 9) return fprintf(stderr, "kafka-mock: --brokers must be 1..9\n"), 2;
        if (num_partitions < 1) return fprintf(stderr, "kafka-mock: --num-partitions must be at least 1\n"), 2;
        if (min_session_ms < 0 || max_session_ms < min_session_ms)
                return fprintf(stderr, "kafka-mock: need 0 <= group min session timeout <= max\n"), 2;
        /* Blocked before librdkafka starts its threads, so only sigwait() below sees them. */
        sigemptyset(&stop), sigaddset(&stop, SIGTERM), sigaddset(&stop, SIGINT);
        pthread_sigmask(SIG_BLOCK, &stop, NULL);
#ifdef __linux__
        /* A test runner that dies without stop() must not leave a broker behind. */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
#endif
        /* The handle only hosts the cluster; it has no bootstrap servers of its own. */
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        rd_kafka_conf_set(conf, "log_level", "3", err, sizeof(err));
        rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
        if (!rk) return fprintf(stderr, "kafka-mock: %s\n", err), 1;
        rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
        if (!mc) return fprintf(stderr, "kafka-mock: cannot create the mock cluster\n"), 1;
        /* Set before any client can connect: nothing else touches these yet. */
        mc->defaults.partition_cnt = num_partitions;
        mock_join_group = mc->api_handlers[RD_KAFKAP_JoinGroup].cb;
        mc->api_handlers[RD_KAFKAP_JoinGroup].cb = join_group_checked;
        rd_kafka_mock_set_controller_id(mc, 1); /* kafkajs' admin client needs one */
        rd_kafka_mock_group_initial_rebalance_delay_ms(mc, 0);
        /* LeaveGroup (key 13): the mock advertises v4 but parses only the v0-2 layout, so
         * kafkajs' v3 leave is lost and the next member waits out a session timeout. */
        rd_kafka_mock_set_apiversion(mc, 13, 0, 2);
        for (int i = first; i < argc; i++) {
                char *colon = strrchr(argv[i], ':');
                int partitions = colon ? atoi(colon + 1) : num_partitions;
                if (colon) *colon = '\0';
                if (!*argv[i] || partitions < 1)
                        return fprintf(stderr, "kafka-mock: bad topic \"%s\"\n", argv[i]), 2;
                if (rd_kafka_mock_topic_create(mc, argv[i], partitions, 1))
                        return fprintf(stderr, "kafka-mock: cannot create %s\n", argv[i]), 1;
        }
        printf("{\"brokers\":\"%s\"}\n", rd_kafka_mock_cluster_bootstraps(mc));
        fflush(stdout);
        sigwait(&stop, &sig);
        rd_kafka_mock_cluster_destroy(mc);
        rd_kafka_destroy(rk);
        return 0;
}
