import java.util.Properties;
import java.util.concurrent.CountDownLatch;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.LogAndContinueProcessingExceptionHandler;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;

/**
 * A Kafka Streams service that fails on some records and lets Kafka Streams dead-letter them
 * (KIP-1034, errors.dead.letter.queue.topic.name): it copies SOURCE to SINK, and a value that
 * holds "bad" throws IllegalStateException in processing. Runs until its standard input ends.
 * Fixed (see Processed), it fails on nothing and prints each record it copies.
 *
 * Usage: StreamsDlqApp BOOTSTRAP APPLICATION_ID SOURCE SINK DLQ
 */
public final class StreamsDlqApp {
    public static void main(String[] args) throws Exception {
        if (args.length != 5) {
            System.err.println("usage: StreamsDlqApp BOOTSTRAP APPLICATION_ID SOURCE SINK DLQ");
            System.exit(2);
        }
        Properties props = new Properties();
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, args[1]);
        props.put(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, args[4]);
        props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG,
            LogAndContinueProcessingExceptionHandler.class);
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        // Started again (fixed) with the same id, it does not wait out the last one's session.
        props.put(StreamsConfig.consumerPrefix("session.timeout.ms"), 6000);
        props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
        props.put("consumer.auto.offset.reset", "earliest");
        props.put(StreamsConfig.STATE_DIR_CONFIG,
            System.getProperty("java.io.tmpdir") + "/kmp-streams-" + args[1]);

        StreamsBuilder builder = new StreamsBuilder();
        builder.stream(args[2], Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
            .mapValues(value -> {
                String text = value == null ? "" : new String(value, java.nio.charset.StandardCharsets.UTF_8);
                if (!Processed.fixed() && text.contains("bad")) {
                    throw new IllegalStateException("cannot convert " + text);
                }
                return value;
            })
            .peek(Processed::print)
            .to(args[3], Produced.with(Serdes.ByteArray(), Serdes.ByteArray()));

        CountDownLatch running = new CountDownLatch(1);
        try (KafkaStreams streams = new KafkaStreams(builder.build(), props)) {
            streams.setStateListener((now, before) -> {
                if (now == KafkaStreams.State.RUNNING) {
                    running.countDown();
                }
            });
            streams.start();
            running.await();
            System.out.println("RUNNING");
            System.out.flush();
            while (System.in.read() >= 0) {
                // Runs until the test closes its input.
            }
        }
    }
}
