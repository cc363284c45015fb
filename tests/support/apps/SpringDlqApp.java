import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.springframework.kafka.core.DefaultKafkaConsumerFactory;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.listener.ConsumerAwareRebalanceListener;
import org.springframework.kafka.listener.ContainerProperties;
import org.springframework.kafka.listener.DeadLetterPublishingRecoverer;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.kafka.listener.KafkaMessageListenerContainer;
import org.springframework.kafka.listener.MessageListener;
import org.springframework.util.backoff.FixedBackOff;

/**
 * A Spring Kafka service as people write them: a listener container whose DefaultErrorHandler
 * hands a record that failed to a DeadLetterPublishingRecoverer (no retries). A value that holds
 * "bad" throws IllegalArgumentException in the listener; Spring wraps it in
 * ListenerExecutionFailedException and dead-letters the record into DLQ, partition 0. Runs until
 * its standard input ends. Fixed (see Processed), it fails on nothing and prints each record.
 *
 * Usage: SpringDlqApp BOOTSTRAP GROUP SOURCE DLQ
 */
public final class SpringDlqApp {
    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: SpringDlqApp BOOTSTRAP GROUP SOURCE DLQ");
            System.exit(2);
        }
        String dlq = args[3];
        DefaultKafkaProducerFactory<byte[], byte[]> producers = new DefaultKafkaProducerFactory<>(Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0],
            ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class,
            ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class));
        DefaultKafkaConsumerFactory<byte[], byte[]> consumers = new DefaultKafkaConsumerFactory<>(Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0],
            ConsumerConfig.GROUP_ID_CONFIG, args[1],
            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
            ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
            ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class));
        DeadLetterPublishingRecoverer recoverer = new DeadLetterPublishingRecoverer(
            new KafkaTemplate<>(producers), (record, exception) -> new TopicPartition(dlq, 0));
        DefaultErrorHandler errors = new DefaultErrorHandler(recoverer, new FixedBackOff(0L, 0L));

        ContainerProperties properties = new ContainerProperties(args[2]);
        properties.setMessageListener((MessageListener<byte[], byte[]>) record -> {
            String text = record.value() == null ? "" : new String(record.value(), StandardCharsets.UTF_8);
            if (!Processed.fixed() && text.contains("bad")) {
                throw new IllegalArgumentException("no such order state in " + text);
            }
            Processed.print(record.key(), record.value());
        });
        properties.setConsumerRebalanceListener(new ConsumerAwareRebalanceListener() {
            @Override
            public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                if (!partitions.isEmpty()) {
                    System.out.println("RUNNING");
                    System.out.flush();
                }
            }
        });
        KafkaMessageListenerContainer<byte[], byte[]> container =
            new KafkaMessageListenerContainer<>(consumers, properties);
        container.setCommonErrorHandler(errors);
        container.start();
        while (System.in.read() >= 0) {
            // Runs until the test closes its input.
        }
        container.stop();
        producers.destroy();
    }
}
