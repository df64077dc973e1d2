import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * A consumer slower than its producer, for the collector's tests of status WARN: Kafka's Java
 * client as a consumer-protocol group member (KIP-848, group.protocol=consumer) or a share
 * group member (KIP-932, explicit acknowledgement), one record per poll, `delayMs` per record,
 * each record committed (acknowledged) before the next is taken; prints `CONSUMED <partition>
 * <offset>` once it is. A line `hold` on stdin: it finishes the record in hand, takes no more
 * and prints HELD (the member stays, its offsets stand still). SIGTERM closes it (leaving the
 * group). A share group is set to start at the earliest offset first (a group config).
 * Args: bootstrap servers, group id, topic, mode (consumer|share), delay in ms.
 */
public final class EventscopeSlowConsumer {
  private static volatile boolean hold;
  private static volatile boolean stopping;

  /** One of the two clients behind the same loop. */
  private interface Client extends AutoCloseable {
    List<ConsumerRecord<byte[], byte[]>> poll();

    /** Commits (acknowledges) one record, synchronously. */
    void commit(ConsumerRecord<byte[], byte[]> record);

    void wakeup();

    @Override
    void close();
  }

  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String group = args[1];
    String topic = args[2];
    boolean share = args[3].equals("share");
    long delayMs = Long.parseLong(args[4]);
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1);
    Client client;
    if (share) {
      startAtEarliest(bootstrap, group);
      props.put(ConsumerConfig.SHARE_ACKNOWLEDGEMENT_MODE_CONFIG, "explicit");
      // Acquire no more than max.poll.records: no record is held in flight beyond the one in hand.
      props.put(ConsumerConfig.SHARE_ACQUIRE_MODE_CONFIG, "record_limit");
      client = shareClient(new KafkaShareConsumer<>(props), topic);
    } else {
      props.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "consumer");
      props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
      props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
      client = consumerClient(new KafkaConsumer<>(props), topic);
    }
    CountDownLatch stop = new CountDownLatch(1);
    CountDownLatch closed = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      stopping = true;
      stop.countDown();
      // A held consumer is not polling; waking it would only make its close throw.
      if (!hold) client.wakeup();
      try {
        closed.await(20, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }));
    Thread commands = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
        for (String line; (line = in.readLine()) != null; ) {
          if (line.trim().equals("hold")) hold = true;
        }
      } catch (IOException e) {
        // stdin closed: keep consuming until SIGTERM
      }
    });
    commands.setDaemon(true);
    commands.start();
    try {
      consume(client, delayMs, stop);
    } finally {
      client.close();
      closed.countDown();
    }
  }

  private static void consume(Client client, long delayMs, CountDownLatch stop) throws InterruptedException {
    try {
      while (!stopping) {
        if (hold) {
          System.out.println("HELD");
          stop.await();
          return;
        }
        for (ConsumerRecord<byte[], byte[]> record : client.poll()) {
          Thread.sleep(delayMs);
          client.commit(record);
          System.out.println("CONSUMED " + record.partition() + " " + record.offset());
        }
      }
    } catch (WakeupException e) {
      // SIGTERM while polling
    }
  }

  private static List<ConsumerRecord<byte[], byte[]>> list(Iterable<ConsumerRecord<byte[], byte[]>> records) {
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    records.forEach(out::add);
    return out;
  }

  private static void startAtEarliest(String bootstrap, String group) throws Exception {
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (Admin admin = Admin.create(props)) {
      AlterConfigOp earliest =
          new AlterConfigOp(new ConfigEntry("share.auto.offset.reset", "earliest"), AlterConfigOp.OpType.SET);
      admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.GROUP, group), List.of(earliest)))
          .all()
          .get(30, TimeUnit.SECONDS);
    }
  }

  private static Client consumerClient(KafkaConsumer<byte[], byte[]> consumer, String topic) {
    consumer.subscribe(List.of(topic));
    return new Client() {
      public List<ConsumerRecord<byte[], byte[]>> poll() {
        return list(consumer.poll(Duration.ofMillis(100)));
      }

      public void commit(ConsumerRecord<byte[], byte[]> r) {
        consumer.commitSync(
            Map.of(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1)));
      }

      public void wakeup() {
        consumer.wakeup();
      }

      public void close() {
        consumer.close();
      }
    };
  }

  private static Client shareClient(KafkaShareConsumer<byte[], byte[]> consumer, String topic) {
    consumer.subscribe(List.of(topic));
    return new Client() {
      public List<ConsumerRecord<byte[], byte[]>> poll() {
        return list(consumer.poll(Duration.ofMillis(100)));
      }

      public void commit(ConsumerRecord<byte[], byte[]> r) {
        consumer.acknowledge(r, AcknowledgeType.ACCEPT);
        for (Map.Entry<TopicIdPartition, Optional<KafkaException>> e : consumer.commitSync().entrySet()) {
          if (e.getValue().isPresent()) throw e.getValue().get();
        }
      }

      public void wakeup() {
        consumer.wakeup();
      }

      public void close() {
        consumer.close();
      }
    };
  }
}
