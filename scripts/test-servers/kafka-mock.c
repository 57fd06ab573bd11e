/*
 * Test-only Kafka: librdkafka's mock cluster behind a tiny launcher.
 * Usage: kafka-mock [--brokers N] [topic[:partitions]]...
 * Prints {"brokers":"127.0.0.1:port,..."} on stdout, then runs until SIGTERM/SIGINT.
 * The mock binds its listeners to 127.0.0.1 (INADDR_LOOPBACK) only.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include "rdkafka.h"
#include "rdkafka_mock.h"

int main(int argc, char **argv) {
        char err[256];
        int brokers = 1, first = 1, sig;
        sigset_t stop;
        if (argc > 2 && strcmp(argv[1], "--brokers") == 0) brokers = atoi(argv[2]), first = 3;
        if (brokers < 1 || brokers > 9) return fprintf(stderr, "kafka-mock: --brokers must be 1..9\n"), 2;
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
        rd_kafka_mock_set_controller_id(mc, 1); /* kafkajs' admin client needs one */
        rd_kafka_mock_group_initial_rebalance_delay_ms(mc, 0);
        /* LeaveGroup (key 13): the mock advertises v4 but parses only the v0-2 layout, so
         * kafkajs' v3 leave is lost and the next member waits out a session timeout. */
        rd_kafka_mock_set_apiversion(mc, 13, 0, 2);
        for (int i = first; i < argc; i++) {
                char *colon = strrchr(argv[i], ':');
                int partitions = colon ? atoi(colon + 1) : 1;
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
