import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * A share-group consumer (KIP-932, queues for Kafka) whose group has a dead-letter queue
 * (KIP-1191): it sets the group's errors.deadletterqueue.topic.name to DLQ (and, with a sixth
 * argument "copy", errors.deadletterqueue.copy.record.enable), then rejects every record whose
 * value holds "bad", which the broker dead-letters, and accepts the others. Runs until its
 * standard input ends. Fixed (see Processed), it accepts every record and prints each.
 *
 * Usage: ShareDlqApp BOOTSTRAP GROUP SOURCE DLQ [copy]
 */
public final class ShareDlqApp {
    public static void main(String[] args) throws Exception {
        if (args.length < 4) {
            System.err.println("usage: ShareDlqApp BOOTSTRAP GROUP SOURCE DLQ [copy]");
            System.exit(2);
        }
        boolean copy = args.length > 4 && args[4].equals("copy");
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", args[0]))) {
            ConfigResource group = new ConfigResource(ConfigResource.Type.GROUP, args[1]);
            admin.incrementalAlterConfigs(Map.of(group, List.of(
                new AlterConfigOp(new ConfigEntry("errors.deadletterqueue.topic.name", args[3]), AlterConfigOp.OpType.SET),
                new AlterConfigOp(new ConfigEntry("errors.deadletterqueue.copy.record.enable", Boolean.toString(copy)), AlterConfigOp.OpType.SET),
                new AlterConfigOp(new ConfigEntry("share.auto.offset.reset", "earliest"), AlterConfigOp.OpType.SET)
            ))).all().get();
        }
        Properties props = new Properties();
        props.put("bootstrap.servers", args[0]);
        props.put("group.id", args[1]);
        props.put("share.acknowledgement.mode", "explicit");
        props.put("key.deserializer", ByteArrayDeserializer.class.getName());
        props.put("value.deserializer", ByteArrayDeserializer.class.getName());
        AtomicBoolean open = new AtomicBoolean(true);
        Thread input = new Thread(() -> {
            try {
                while (System.in.read() >= 0) {
                    // Runs until the test closes its input.
                }
            } catch (java.io.IOException ignored) {
                // Ends as when the input ends.
            }
            open.set(false);
        }, "input");
        input.setDaemon(true);
        input.start();
        try (KafkaShareConsumer<byte[], byte[]> consumer = new KafkaShareConsumer<>(props)) {
            consumer.subscribe(List.of(args[2]));
            System.out.println("RUNNING");
            System.out.flush();
            while (open.get()) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    String text = record.value() == null ? "" : new String(record.value(), StandardCharsets.UTF_8);
                    boolean reject = !Processed.fixed() && text.contains("bad");
                    consumer.acknowledge(record, reject ? AcknowledgeType.REJECT : AcknowledgeType.ACCEPT);
                    if (!reject) {
                        Processed.print(record.key(), record.value());
                    }
                }
                consumer.commitSync();
            }
        }
    }
}
