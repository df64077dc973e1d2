import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The smallest Kafka Streams application on the streams rebalance protocol (KIP-1071,
 * group.protocol=streams), for the collector's tests: reads one topic from the beginning (a
 * stateless topology: one subtopology, one task per partition), commits every 200 ms, prints
 * PROCESSED after each record. Lines on stdin: `slow <ms>` makes it take that long per record
 * (slower than a producer); `hold` blocks its stream thread before the next record and prints
 * HELD (the member stays and owns its tasks, nothing more is processed or committed: a processor
 * stuck on a call). On SIGTERM it closes (committing what it processed) and leaves the group.
 * Args: bootstrap servers, application id (the group id), input topic, state directory.
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

  public static void main(String[] args) throws InterruptedException {
    Properties props = new Properties();
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, args[1]);
    props.put(StreamsConfig.STATE_DIR_CONFIG, args[3]);
    props.put(StreamsConfig.GROUP_PROTOCOL_CONFIG, "streams");
    props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 200);
    props.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.ByteArraySerde.class);
    props.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.ByteArraySerde.class);
    StreamsBuilder builder = new StreamsBuilder();
    builder.<byte[], byte[]>stream(args[2]).foreach((key, value) -> process());
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
