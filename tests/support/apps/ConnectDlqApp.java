import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Collection;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.cli.ConnectStandalone;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.sink.ErrantRecordReporter;
import org.apache.kafka.connect.sink.SinkConnector;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;

/**
 * A Kafka Connect sink as people run them: a standalone worker with one connector whose task
 * reports the records it cannot write through Connect's errant record reporter (KIP-610), so
 * Connect dead-letters them into DLQ with its context headers (errors.tolerance=all,
 * errors.deadletterqueue.context.headers.enable=true). A value that holds "bad" cannot be
 * written: IllegalStateException. Runs until its standard input ends. Fixed (see Processed),
 * it fails on nothing and prints each record it is given.
 *
 * With the argument "json", values go through Connect's JsonConverter (no schemas), so a
 * value that is not JSON fails in the converter, before the task sees it, and Connect
 * dead-letters it itself (stage VALUE_CONVERTER, DataException).
 *
 * Usage: ConnectDlqApp BOOTSTRAP CONNECTOR_NAME SOURCE DLQ REST_PORT [json]
 */
public final class ConnectDlqApp {
    public static void main(String[] args) throws Exception {
        if (args.length != 5 && !(args.length == 6 && args[5].equals("json"))) {
            System.err.println("usage: ConnectDlqApp BOOTSTRAP CONNECTOR_NAME SOURCE DLQ REST_PORT [json]");
            System.exit(2);
        }
        String valueConverter = args.length == 6
            ? String.join("\n",
                "value.converter=org.apache.kafka.connect.json.JsonConverter",
                "value.converter.schemas.enable=false")
            : "value.converter=org.apache.kafka.connect.converters.ByteArrayConverter";
        File dir = Files.createTempDirectory("kmp-connect-").toFile();
        File worker = write(dir, "worker.properties", String.join("\n",
            "bootstrap.servers=" + args[0],
            "key.converter=org.apache.kafka.connect.converters.ByteArrayConverter",
            "value.converter=org.apache.kafka.connect.converters.ByteArrayConverter",
            "offset.storage.file.filename=" + new File(dir, "offsets").getPath(),
            "offset.flush.interval.ms=500",
            "listeners=http://127.0.0.1:" + args[4],
            "plugin.discovery=only_scan",
            ""));
        File connector = write(dir, "connector.properties", String.join("\n",
            "name=" + args[1],
            "connector.class=" + FailingSink.class.getName(),
            "tasks.max=1",
            "topics=" + args[2],
            "consumer.override.auto.offset.reset=earliest",
            "errors.tolerance=all",
            "errors.deadletterqueue.topic.name=" + args[3],
            "errors.deadletterqueue.topic.replication.factor=1",
            "errors.deadletterqueue.context.headers.enable=true",
            valueConverter,
            ""));
        Thread connect = new Thread(() -> ConnectStandalone.main(
            new String[] {worker.getPath(), connector.getPath()}), "connect");
        connect.setDaemon(true);
        connect.start();
        while (System.in.read() >= 0) {
            // Runs until the test closes its input.
        }
        System.exit(0);
    }

    private static File write(File dir, String name, String text) throws IOException {
        File file = new File(dir, name);
        Files.writeString(file.toPath(), text);
        return file;
    }

    /** The sink: writes nothing, reports what it cannot write. */
    public static final class FailingSink extends SinkConnector {
        private Map<String, String> props;

        @Override
        public void start(Map<String, String> props) {
            this.props = props;
        }

        @Override
        public Class<? extends Task> taskClass() {
            return FailingTask.class;
        }

        @Override
        public List<Map<String, String>> taskConfigs(int maxTasks) {
            return List.of(props);
        }

        @Override
        public void stop() {}

        @Override
        public ConfigDef config() {
            return new ConfigDef();
        }

        @Override
        public String version() {
            return "1";
        }
    }

    /** Reports a record holding "bad" as errant; the others are written (nowhere). */
    public static final class FailingTask extends SinkTask {
        private ErrantRecordReporter reporter;

        @Override
        public void start(Map<String, String> props) {
            reporter = context.errantRecordReporter();
            System.out.println("RUNNING");
            System.out.flush();
        }

        @Override
        public void put(Collection<SinkRecord> records) {
            for (SinkRecord record : records) {
                Object value = record.value();
                String text = value instanceof byte[] bytes ? new String(bytes, StandardCharsets.UTF_8) : String.valueOf(value);
                if (!Processed.fixed() && text.contains("bad")) {
                    reporter.report(record, new IllegalStateException("cannot write " + text));
                } else {
                    Object key = record.key();
                    Processed.print(key instanceof byte[] k ? k : null, value instanceof byte[] v ? v : null);
                }
            }
        }

        @Override
        public void stop() {}

        @Override
        public String version() {
            return "1";
        }
    }
}
