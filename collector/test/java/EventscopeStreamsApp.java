import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.state.Stores;

/**
 * The smallest Kafka Streams application on the streams rebalance protocol (KIP-1071,
 * group.protocol=streams), for the collector's tests: reads one topic from the beginning (by
 * default a stateless topology: one subtopology, one task per partition), commits every 200 ms,
 * prints PROCESSED after each record. Lines on stdin: `slow <ms>` makes it take that long per record
 * (slower than a producer); `hold` blocks its stream thread before the next record and prints
 * HELD (the member stays and owns its tasks, nothing more is processed or committed: a processor
 * stuck on a call). On SIGTERM it closes (committing what it processed) and leaves the group.
 * Args: bootstrap servers, application id (the group id), input topic, state directory and,
 * optionally, a number of standby replicas: then the topology is stateful (records counted by
 * value: subtopology 0 reads the input topic and writes the repartition topic
 * `<application id>-by-value-repartition`, subtopology 1 reads it into the in-memory store
 * `counts`, with its changelog) and the group's `streams.num.standby.replicas` is set to that
 * number before it starts (under KIP-1071 a group config on the broker; the app's
 * num.standby.replicas is not used).
 */
public final class EventscopeStreamsApp {
  private static volatile long delayMs;
  /** Set by `hold`: the stream thread waits on it before its next record; released on shutdown. */
  private static volatile CountDownLatch hold;

  private static void process() {
    CountDownLatch h = hold;
    try {
      if (h != null && h.getCount() > 0) {
        System.out.println("HELD");
        h.await();
      }
      if (delayMs > 0) Thread.sleep(delayMs);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    System.out.println("PROCESSED");
  }

  /** KIP-1071: the broker's assignor reads the number of standby replicas from the group's config. */
  private static void setStandbyReplicas(String bootstrap, String groupId, String replicas) throws Exception {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      ConfigResource group = new ConfigResource(ConfigResource.Type.GROUP, groupId);
      AlterConfigOp set = new AlterConfigOp(
          new ConfigEntry("streams.num.standby.replicas", replicas), AlterConfigOp.OpType.SET);
      admin.incrementalAlterConfigs(Map.of(group, List.of(set))).all().get();
    }
  }

  public static void main(String[] args) throws Exception {
    Properties props = new Properties();
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, args[1]);
    props.put(StreamsConfig.STATE_DIR_CONFIG, args[3]);
    props.put(StreamsConfig.GROUP_PROTOCOL_CONFIG, "streams");
    props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 200);
    props.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.ByteArraySerde.class);
    props.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.ByteArraySerde.class);
    StreamsBuilder builder = new StreamsBuilder();
    KStream<byte[], byte[]> input = builder.stream(args[2]);
    if (args.length > 4) {
      setStandbyReplicas(args[0], args[1], args[4]);
      input.peek((key, value) -> process())
          .groupBy((key, value) -> value, Grouped.as("by-value"))
          // In memory: the same changelog and standby tasks as RocksDB, without its native library.
          .count(Materialized.as(Stores.inMemoryKeyValueStore("counts")));
    } else {
      input.foreach((key, value) -> process());
    }
    KafkaStreams streams = new KafkaStreams(builder.build(), props);
    streams.setStateListener((now, before) -> System.out.println("STATE " + now));
    CountDownLatch closed = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      // Paused first, so that a held thread, released, soon stops taking records; close commits what it processed.
      streams.pause();
      CountDownLatch h = hold;
      if (h != null) h.countDown();
      // Leave the group on close: a test then sees the member gone at once, not after the session timeout.
      streams.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
          .withTimeout(Duration.ofSeconds(20)));
      closed.countDown();
    }));
    streams.start();
    try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
      for (String line; (line = in.readLine()) != null; ) {
        String[] command = line.trim().split(" ");
        if (command[0].equals("slow") && command.length == 2) delayMs = Long.parseLong(command[1]);
        if (command[0].equals("hold")) hold = new CountDownLatch(1);
      }
    } catch (IOException e) {
      // stdin closed: keep running until SIGTERM
    }
    closed.await();
  }
}
