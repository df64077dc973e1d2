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
 * stateless topology: one subtopology, one task per partition), commits every 200 ms; a line
 * `pause` on stdin pauses processing (KafkaStreams#pause: the member stays in the group, its
 * committed offsets stop moving) and prints PAUSED; on SIGTERM it closes (committing what it
 * processed) and leaves the group.
 * Args: bootstrap servers, application id (the group id), input topic, state directory.
 */
public final class EventscopeStreamsApp {
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
    builder.<byte[], byte[]>stream(args[2]).foreach((key, value) -> { });
    KafkaStreams streams = new KafkaStreams(builder.build(), props);
    streams.setStateListener((now, before) -> System.out.println("STATE " + now));
    CountDownLatch closed = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      // Leave the group on close: a test then sees the member gone at once, not after the session timeout.
      streams.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
          .withTimeout(Duration.ofSeconds(20)));
      closed.countDown();
    }));
    streams.start();
    try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
      for (String line; (line = in.readLine()) != null; ) {
        if (line.trim().equals("pause")) {
          streams.pause();
          System.out.println("PAUSED");
        }
      }
    } catch (IOException e) {
      // stdin closed: keep running until SIGTERM
    }
    closed.await();
  }
}
