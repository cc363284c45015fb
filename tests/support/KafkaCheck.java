// Independent checker for the integration tests of kafka-merge-purge.
//
// It reads and writes Kafka with Apache Kafka's own Java client, so the tests never verify the
// tool with the tool's own Kafka code (librdkafka). Compiled and run by scripts/kafka-check.sh
// against the jars of the local broker; JSON through the Jackson that ships with Kafka.
//
// Subcommands (all take --bootstrap HOST:PORT; byte fields are base64, null stays null):
//   dump          --topic T [--isolation read_committed|read_uncommitted] [--timeout-ms N]
//                 every record up to the end offsets taken at start, one JSON object per line:
//                 {"partition","offset","timestamp","timestamp_type","key","value","headers"}
//   group-offsets --group G --topic T     committed offsets per partition {"0":12,...}
//   group-members --group G               how many members the group has now {"members":N}
//   end-offsets   --topic T [--isolation ...]   {"0":12,...}
//   produce       --topic T [--transactional-id ID [--abort | --leave-open]]
//                 [--transaction-timeout-ms N]; JSON lines as printed by dump on stdin
//                 (partition, timestamp, key, value, headers optional); prints one
//                 {"partition","offset"} line per record written
//   topic-config  --topic T                    every config of the topic {"name":"value",...}
//   delete-records --topic T --partition P --before N   deletes the records of partition P
//                 below offset N (Admin.deleteRecords); prints {"low_watermark":N}
//   broker-version                        the cluster's finalized metadata.version, as the
//                 broker reports it: {"metadata_version":"3.9-IV0","release":"3.9"}
//   warm-up       [--timeout-ms N]  waits until the group and transaction coordinators answer,
//                 creating __consumer_offsets and __transaction_state on a new broker
// Exit status: 0 ok, 1 failure (message on stderr), 2 usage error.
//
// `serve` (no other argument) answers many requests in one process, each as a run of the
// command line would (see serve() for the framing): the tests keep one per concurrent caller
// instead of starting a JVM per check.

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.server.common.MetadataVersion;

public final class KafkaCheck {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Base64.Encoder B64 = Base64.getEncoder();
    private static final Base64.Decoder B64D = Base64.getDecoder();

    /** A wrong command line: exit status 2. */
    private static final class UsageException extends Exception {
        UsageException(String message) {
            super(message);
        }
    }

    /** Options as "--name value" pairs; flags (no value) map to "true". */
    private static final class Options {
        private static final Set<String> FLAGS = Set.of("abort", "leave-open");
        private final Map<String, String> values = new HashMap<>();

        Options(String[] args, int from) throws UsageException {
            for (int i = from; i < args.length; i++) {
                String arg = args[i];
                if (!arg.startsWith("--")) {
                    throw new UsageException("unexpected argument '" + arg + "'");
                }
                String name = arg.substring(2);
                if (FLAGS.contains(name)) {
                    values.put(name, "true");
                } else if (i + 1 < args.length) {
                    values.put(name, args[++i]);
                } else {
                    throw new UsageException("--" + name + " needs a value");
                }
            }
        }

        String required(String name) throws UsageException {
            String value = values.get(name);
            if (value == null) {
                throw new UsageException("--" + name + " is required");
            }
            return value;
        }

        String optional(String name, String fallback) {
            return values.getOrDefault(name, fallback);
        }

        boolean flag(String name) {
            return values.containsKey(name);
        }

        IsolationLevel isolation() throws UsageException {
            String value = optional("isolation", "read_uncommitted");
            switch (value) {
                case "read_committed":
                    return IsolationLevel.READ_COMMITTED;
                case "read_uncommitted":
                    return IsolationLevel.READ_UNCOMMITTED;
                default:
                    throw new UsageException("--isolation must be read_committed or read_uncommitted");
            }
        }
    }

    public static void main(String[] args) throws IOException {
        if (args.length == 1 && args[0].equals("serve")) {
            serve();
            System.exit(0);
        }
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        int status = guarded(args, System.in, out, System.err);
        out.flush();
        System.exit(status);
    }

    /** Runs one subcommand; its exit status, the reason of a failure written to err. */
    private static int guarded(String[] args, InputStream in, PrintStream out, PrintStream err) {
        try {
            return run(args, in, out);
        } catch (UsageException e) {
            err.println("kafka-check: " + e.getMessage());
            return 2;
        } catch (Exception e) {
            err.println("kafka-check: " + e);
            e.printStackTrace(err);
            return 1;
        }
    }

    /**
     * One process for many requests (the tests start one per concurrent caller and keep it):
     * each request on stdin is a count of arguments, the arguments and the subcommand's stdin;
     * each answer on stdout the exit status, the subcommand's stdout and its stderr. Counts and
     * lengths are 4-byte big-endian integers, strings UTF-8 after their length. It ends at the
     * end of its stdin. Nothing else may write to stdout, so System.out goes to stderr.
     */
    private static void serve() throws IOException {
        DataInputStream requests = new DataInputStream(new BufferedInputStream(System.in));
        DataOutputStream answers = new DataOutputStream(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out)));
        System.setOut(System.err);
        while (true) {
            int count;
            try {
                count = requests.readInt();
            } catch (EOFException end) {
                return;
            }
            String[] args = new String[count];
            for (int i = 0; i < count; i++) {
                args[i] = new String(readBytes(requests), StandardCharsets.UTF_8);
            }
            byte[] stdin = readBytes(requests);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            PrintStream outStream = new PrintStream(out, false, StandardCharsets.UTF_8);
            PrintStream errStream = new PrintStream(err, false, StandardCharsets.UTF_8);
            int status;
            if (Arrays.asList(args).contains("--leave-open")) {
                // It halts the process, as a crashed producer: only in a process of its own.
                errStream.println("kafka-check: --leave-open needs a process of its own, not serve");
                status = 2;
            } else {
                status = guarded(args, new ByteArrayInputStream(stdin), outStream, errStream);
            }
            outStream.flush();
            errStream.flush();
            answers.writeInt(status);
            writeBytes(answers, out.toByteArray());
            writeBytes(answers, err.toByteArray());
            answers.flush();
        }
    }

    private static byte[] readBytes(DataInputStream in) throws IOException {
        byte[] bytes = new byte[in.readInt()];
        in.readFully(bytes);
        return bytes;
    }

    private static void writeBytes(DataOutputStream out, byte[] bytes) throws IOException {
        out.writeInt(bytes.length);
        out.write(bytes);
    }

    private static int run(String[] args, InputStream in, PrintStream out) throws Exception {
        if (args.length == 0) {
            throw new UsageException(
                    "usage: KafkaCheck dump|group-offsets|end-offsets|produce|topic-config --bootstrap HOST:PORT ...");
        }
        Options options = new Options(args, 1);
        String bootstrap = options.required("bootstrap");
        switch (args[0]) {
            case "dump":
                return dump(bootstrap, options, out);
            case "group-offsets":
                return groupOffsets(bootstrap, options, out);
            case "group-members":
                return groupMembers(bootstrap, options, out);
            case "broker-version":
                return brokerVersion(bootstrap, out);
            case "end-offsets":
                return endOffsets(bootstrap, options, out);
            case "produce":
                return produce(bootstrap, options, in, out);
            case "topic-config":
                return topicConfig(bootstrap, options, out);
            case "delete-records":
                return deleteRecords(bootstrap, options, out);
            case "warm-up":
                return warmUp(bootstrap, options);
            default:
                throw new UsageException("unknown subcommand '" + args[0] + "'");
        }
    }

    private static Admin admin(String bootstrap) {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, "kafka-check");
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
        return Admin.create(props);
    }

    private static List<TopicPartition> partitions(Admin admin, String topic) throws Exception {
        TopicDescription description = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
        return description.partitions().stream()
                .map(p -> new TopicPartition(topic, p.partition()))
                .sorted(Comparator.comparingInt(TopicPartition::partition))
                .collect(Collectors.toList());
    }

    private static Map<TopicPartition, Long> endOffsets(
            Admin admin, Collection<TopicPartition> partitions, IsolationLevel isolation) throws Exception {
        Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        for (TopicPartition tp : partitions) {
            request.put(tp, OffsetSpec.latest());
        }
        Map<TopicPartition, Long> result = new HashMap<>();
        admin.listOffsets(request, new ListOffsetsOptions(isolation)).all().get()
                .forEach((tp, info) -> result.put(tp, info.offset()));
        return result;
    }

    private static String b64(byte[] bytes) {
        return bytes == null ? null : B64.encodeToString(bytes);
    }

    private static byte[] unb64(JsonNode node) {
        return node == null || node.isNull() ? null : B64D.decode(node.asText());
    }

    private static int dump(String bootstrap, Options options, PrintStream out) throws Exception {
        String topic = options.required("topic");
        IsolationLevel isolation = options.isolation();
        long timeoutMs = Long.parseLong(options.optional("timeout-ms", "60000"));

        Map<TopicPartition, Long> ends;
        try (Admin admin = admin(bootstrap)) {
            ends = endOffsets(admin, partitions(admin, topic), isolation);
        }

        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "kafka-check");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation.toString().toLowerCase());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());

        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
            consumer.assign(ends.keySet());
            consumer.seekToBeginning(ends.keySet());
            long deadline = System.currentTimeMillis() + timeoutMs;
            while (true) {
                List<TopicPartition> pending = new ArrayList<>();
                for (Map.Entry<TopicPartition, Long> end : ends.entrySet()) {
                    if (consumer.position(end.getKey()) < end.getValue()) {
                        pending.add(end.getKey());
                    }
                }
                if (pending.isEmpty()) {
                    break;
                }
                if (System.currentTimeMillis() > deadline) {
                    throw new IllegalStateException("timed out after " + timeoutMs
                            + " ms reading " + pending + " up to " + ends);
                }
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    TopicPartition tp = new TopicPartition(record.topic(), record.partition());
                    if (record.offset() < ends.get(tp)) {
                        records.add(record);
                    }
                }
            }
        }

        records.sort(Comparator.<ConsumerRecord<byte[], byte[]>>comparingInt(ConsumerRecord::partition)
                .thenComparingLong(ConsumerRecord::offset));
        for (ConsumerRecord<byte[], byte[]> record : records) {
            ObjectNode node = JSON.createObjectNode();
            node.put("partition", record.partition());
            node.put("offset", record.offset());
            node.put("timestamp", record.timestamp());
            node.put("timestamp_type", record.timestampType().toString());
            node.put("key", b64(record.key()));
            node.put("value", b64(record.value()));
            ArrayNode headers = node.putArray("headers");
            for (Header header : record.headers()) {
                headers.addObject().put("name", header.key()).put("value", b64(header.value()));
            }
            out.println(JSON.writeValueAsString(node));
        }
        return 0;
    }

    private static void printPartitionMap(Map<Integer, Long> offsets, PrintStream out) throws Exception {
        ObjectNode node = JSON.createObjectNode();
        new TreeMap<>(offsets).forEach((partition, offset) -> node.put(partition.toString(), offset));
        out.println(JSON.writeValueAsString(node));
    }

    private static int brokerVersion(String bootstrap, PrintStream out) throws Exception {
        try (Admin admin = admin(bootstrap)) {
            short level = admin.describeFeatures().featureMetadata().get()
                    .finalizedFeatures().get(MetadataVersion.FEATURE_NAME).maxVersionLevel();
            MetadataVersion version = MetadataVersion.fromFeatureLevel(level);
            ObjectNode node = JSON.createObjectNode();
            node.put("metadata_version", version.version());
            node.put("release", version.shortVersion());
            out.println(JSON.writeValueAsString(node));
        }
        return 0;
    }

    private static int groupMembers(String bootstrap, Options options, PrintStream out) throws Exception {
        String group = options.required("group");
        try (Admin admin = admin(bootstrap)) {
            int members;
            try {
                members = admin.describeConsumerGroups(List.of(group))
                        .describedGroups().get(group).get().members().size();
            } catch (ExecutionException e) {
                // Since Kafka 4.0 a group no member has joined yet is not found: none.
                if (!(e.getCause() instanceof GroupIdNotFoundException)) {
                    throw e;
                }
                members = 0;
            }
            out.println("{\"members\":" + members + "}");
        }
        return 0;
    }

    private static int groupOffsets(String bootstrap, Options options, PrintStream out) throws Exception {
        String group = options.required("group");
        String topic = options.required("topic");
        Map<Integer, Long> offsets = new HashMap<>();
        try (Admin admin = admin(bootstrap)) {
            Map<TopicPartition, OffsetAndMetadata> committed =
                    admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
            committed.forEach((tp, offset) -> {
                if (offset != null && tp.topic().equals(topic)) {
                    offsets.put(tp.partition(), offset.offset());
                }
            });
        }
        printPartitionMap(offsets, out);
        return 0;
    }

    private static int endOffsets(String bootstrap, Options options, PrintStream out) throws Exception {
        String topic = options.required("topic");
        IsolationLevel isolation = options.isolation();
        Map<Integer, Long> offsets = new HashMap<>();
        try (Admin admin = admin(bootstrap)) {
            endOffsets(admin, partitions(admin, topic), isolation)
                    .forEach((tp, offset) -> offsets.put(tp.partition(), offset));
        }
        printPartitionMap(offsets, out);
        return 0;
    }

    private static ProducerRecord<byte[], byte[]> toRecord(String topic, JsonNode line) {
        JsonNode partition = line.get("partition");
        JsonNode timestamp = line.get("timestamp");
        List<Header> headers = new ArrayList<>();
        JsonNode headerNodes = line.get("headers");
        if (headerNodes != null && !headerNodes.isNull()) {
            for (JsonNode header : headerNodes) {
                headers.add(new RecordHeader(header.get("name").asText(), unb64(header.get("value"))));
            }
        }
        return new ProducerRecord<>(
                topic,
                partition == null || partition.isNull() ? null : partition.asInt(),
                timestamp == null || timestamp.isNull() ? null : timestamp.asLong(),
                unb64(line.get("key")),
                unb64(line.get("value")),
                headers);
    }

    private static int produce(String bootstrap, Options options, InputStream stdin, PrintStream out)
            throws Exception {
        String topic = options.required("topic");
        String transactionalId = options.optional("transactional-id", null);
        boolean abort = options.flag("abort");
        boolean leaveOpen = options.flag("leave-open");
        if (transactionalId == null && (abort || leaveOpen)) {
            throw new UsageException("--abort and --leave-open need --transactional-id");
        }
        if (abort && leaveOpen) {
            throw new UsageException("--abort and --leave-open exclude each other");
        }

        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        BufferedReader in = new BufferedReader(new InputStreamReader(stdin, StandardCharsets.UTF_8));
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            if (!line.isBlank()) {
                records.add(toRecord(topic, JSON.readTree(line)));
            }
        }

        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "kafka-check");
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        if (transactionalId != null) {
            props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
            props.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG,
                    options.optional("transaction-timeout-ms", "60000"));
        }

        KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props);
        try {
            if (transactionalId != null) {
                producer.initTransactions();
                producer.beginTransaction();
            }
            List<Future<RecordMetadata>> sent = new ArrayList<>();
            for (ProducerRecord<byte[], byte[]> record : records) {
                sent.add(producer.send(record));
            }
            producer.flush();
            List<RecordMetadata> written = new ArrayList<>();
            for (Future<RecordMetadata> future : sent) {
                written.add(future.get());
            }
            if (leaveOpen) {
                // Leave the transaction open as a crashed producer would: no commit, no abort,
                // no close. The coordinator aborts it after the transaction timeout.
                printWritten(written, out);
                out.flush();
                Runtime.getRuntime().halt(0);
            } else if (abort) {
                producer.abortTransaction();
            } else if (transactionalId != null) {
                producer.commitTransaction();
            }
            printWritten(written, out);
        } finally {
            producer.close(Duration.ofSeconds(30));
        }
        return 0;
    }

    private static void printWritten(List<RecordMetadata> written, PrintStream out) throws Exception {
        for (RecordMetadata metadata : written) {
            ObjectNode node = JSON.createObjectNode();
            node.put("partition", metadata.partition());
            node.put("offset", metadata.offset());
            out.println(JSON.writeValueAsString(node));
        }
    }

    private static int warmUp(String bootstrap, Options options) throws Exception {
        long timeoutMs = Long.parseLong(options.optional("timeout-ms", "60000"));
        long deadline = System.currentTimeMillis() + timeoutMs;
        // The group coordinator: the first FindCoordinator creates __consumer_offsets; the admin
        // client retries while its partitions load.
        try (Admin admin = admin(bootstrap)) {
            while (true) {
                try {
                    admin.listConsumerGroupOffsets("kafka-check-warm-up").partitionsToOffsetAndMetadata().get();
                    break;
                } catch (java.util.concurrent.ExecutionException e) {
                    if (System.currentTimeMillis() > deadline) {
                        throw e;
                    }
                    Thread.sleep(200);
                }
            }
        }
        // The transaction coordinator: initTransactions creates __transaction_state and waits.
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "kafka-check");
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "kafka-check-warm-up");
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, Long.toString(Math.max(1000, deadline - System.currentTimeMillis())));
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
            producer.initTransactions();
        }
        return 0;
    }

    private static int topicConfig(String bootstrap, Options options, PrintStream out) throws Exception {
        String topic = options.required("topic");
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        ObjectNode node = JSON.createObjectNode();
        try (Admin admin = admin(bootstrap)) {
            Config config = admin.describeConfigs(List.of(resource)).all().get().get(resource);
            config.entries().stream()
                    .sorted(Comparator.comparing(ConfigEntry::name))
                    .forEach(entry -> node.put(entry.name(), entry.value()));
        }
        out.println(JSON.writeValueAsString(node));
        return 0;
    }

    private static int deleteRecords(String bootstrap, Options options, PrintStream out) throws Exception {
        TopicPartition partition = new TopicPartition(
                options.required("topic"), Integer.parseInt(options.required("partition")));
        long before = Long.parseLong(options.required("before"));
        try (Admin admin = admin(bootstrap)) {
            long low = admin.deleteRecords(Map.of(partition, RecordsToDelete.beforeOffset(before)))
                    .lowWatermarks().get(partition).get().lowWatermark();
            ObjectNode node = JSON.createObjectNode();
            node.put("low_watermark", low);
            out.println(JSON.writeValueAsString(node));
        }
        return 0;
    }
}
