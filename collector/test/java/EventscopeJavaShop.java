// A small order flow on plain kafka-clients, for the OpenTelemetry Java agent test
// (collector/test/java-agent.ts). No tracing code: the agent instruments kafka-clients.
//
//   orders service  --order.placed-->   <prefix>orders       (event-id, event-type, correlation-id)
//   payments group  reads orders: a poison order is copied to <prefix>payments.dlq with the dlq-*
//                   headers; any other publishes order.completed to <prefix>completions
//                   (causation-id = the placed event's id)
//   orders group    reads completions (processing order.completed ends the saga)
//
// Prints one line per order: ORDER <orderId> <placedEventId> <completedEventId or -> <poison 0/1>.
// Usage: java EventscopeJavaShop <brokers> <prefix> <orders> <poisonEvery>

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

public final class EventscopeJavaShop {
  private static String header(ConsumerRecord<String, String> r, String name) {
    Header h = r.headers().lastHeader(name);
    return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  private static ProducerRecord<String, String> event(
      String topic, String key, String value, String eventId, String type, String correlation, String causation) {
    ProducerRecord<String, String> r = new ProducerRecord<>(topic, key, value);
    r.headers().add("event-id", eventId.getBytes(StandardCharsets.UTF_8));
    r.headers().add("event-type", type.getBytes(StandardCharsets.UTF_8));
    r.headers().add("correlation-id", correlation.getBytes(StandardCharsets.UTF_8));
    if (causation != null) r.headers().add("causation-id", causation.getBytes(StandardCharsets.UTF_8));
    return r;
  }

  private static KafkaConsumer<String, String> consumer(String brokers, String group, String topic) {
    Properties p = new Properties();
    p.put("bootstrap.servers", brokers);
    p.put("group.id", group);
    p.put("group.protocol", "consumer");
    p.put("auto.offset.reset", "earliest");
    p.put("enable.auto.commit", "false");
    p.put("key.deserializer", StringDeserializer.class.getName());
    p.put("value.deserializer", StringDeserializer.class.getName());
    KafkaConsumer<String, String> c = new KafkaConsumer<>(p);
    c.subscribe(List.of(topic));
    return c;
  }

  /** Polls until `expected` records were handled (or 60 s), committing after each poll. */
  private interface Handler {
    void handle(ConsumerRecord<String, String> r) throws Exception;
  }

  private static void drain(KafkaConsumer<String, String> c, int expected, Handler h) throws Exception {
    int seen = 0;
    Instant deadline = Instant.now().plusSeconds(60);
    while (seen < expected) {
      if (Instant.now().isAfter(deadline)) throw new IllegalStateException("saw " + seen + " of " + expected);
      ConsumerRecords<String, String> records = c.poll(Duration.ofMillis(200));
      // Iterating the records is what the agent turns into one `process` span per record.
      for (ConsumerRecord<String, String> r : records) {
        h.handle(r);
        seen++;
      }
      if (!records.isEmpty()) c.commitSync();
    }
  }

  public static void main(String[] args) throws Exception {
    String brokers = args[0];
    String prefix = args[1];
    int orders = Integer.parseInt(args[2]);
    int poisonEvery = Integer.parseInt(args[3]);
    String ordersTopic = prefix + "orders";
    String completions = prefix + "completions";
    String paymentsGroup = prefix + "payments";
    String ordersGroup = prefix + "orders";
    String dlq = paymentsGroup + ".dlq";

    Properties pp = new Properties();
    pp.put("bootstrap.servers", brokers);
    pp.put("key.serializer", StringSerializer.class.getName());
    pp.put("value.serializer", StringSerializer.class.getName());
    pp.put("linger.ms", "0");
    Map<String, String> completedByOrder = new HashMap<>();
    List<String[]> placed = new ArrayList<>();
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(pp)) {
      for (int i = 0; i < orders; i++) {
        String orderId = "java-order-" + UUID.randomUUID();
        String eventId = UUID.randomUUID().toString();
        boolean poison = poisonEvery > 0 && i % poisonEvery == poisonEvery - 1;
        String value = "{\"orderId\":\"" + orderId + "\",\"poison\":" + poison + "}";
        producer.send(event(ordersTopic, orderId, value, eventId, "order.placed", orderId, null)).get();
        placed.add(new String[] {orderId, eventId, poison ? "1" : "0"});
      }

      try (KafkaConsumer<String, String> payments = consumer(brokers, paymentsGroup, ordersTopic)) {
        drain(payments, orders, r -> {
          String eventId = header(r, "event-id");
          String orderId = header(r, "correlation-id");
          if (r.value().contains("\"poison\":true")) {
            ProducerRecord<String, String> copy = new ProducerRecord<>(dlq, r.key(), r.value());
            for (Header h : r.headers()) copy.headers().add(h.key(), h.value());
            copy.headers().add("dlq-original-topic", r.topic().getBytes(StandardCharsets.UTF_8));
            copy.headers().add("dlq-original-partition", String.valueOf(r.partition()).getBytes(StandardCharsets.UTF_8));
            copy.headers().add("dlq-original-offset", String.valueOf(r.offset()).getBytes(StandardCharsets.UTF_8));
            copy.headers().add("dlq-consumer-group", paymentsGroup.getBytes(StandardCharsets.UTF_8));
            copy.headers().add("dlq-error-class", "PoisonOrder".getBytes(StandardCharsets.UTF_8));
            copy.headers().add("dlq-error-message", "order marked poison".getBytes(StandardCharsets.UTF_8));
            copy.headers().add("dlq-attempts", "1".getBytes(StandardCharsets.UTF_8));
            producer.send(copy).get();
            return;
          }
          String completed = UUID.randomUUID().toString();
          producer.send(event(completions, r.key(), r.value(), completed, "order.completed", orderId, eventId)).get();
          completedByOrder.put(orderId, completed);
        });
      }
    }

    try (KafkaConsumer<String, String> terminal = consumer(brokers, ordersGroup, completions)) {
      drain(terminal, completedByOrder.size(), r -> {});
    }

    for (String[] p : placed) {
      String completed = completedByOrder.getOrDefault(p[0], "-");
      System.out.println("ORDER " + p[0] + " " + p[1] + " " + completed + " " + p[2]);
    }
  }
}
