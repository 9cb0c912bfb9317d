package io.learnbridge.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The event inbox and the worker state by effective date, on every database the store supports
 * (a new H2 file and a new PostgreSQL database per test).
 */
class EventStoreContractTest {

    private static final Duration LEASE = Duration.ofMinutes(1);
    private static final List<String> TARGETS = List.of("lms", "lxp");
    private static final Instant MONDAY = Instant.parse("2026-11-23T09:00:00Z");
    private static final Instant FRIDAY = Instant.parse("2026-11-27T09:00:00Z");

    @OnEveryDatabase
    void anEventIsStoredOncePerKeyAndClaimedOnce(Store store) {
        EventInbox inbox = new EventInbox(store, "a", LEASE);
        EventInbox.Receipt first = inbox.receive("hook", EventInbox.Channel.WEBHOOK, "id:1", "webhook id:1", "{\"n\":1}");
        EventInbox.Receipt again = inbox.receive("hook", EventInbox.Channel.WEBHOOK, "id:1", "webhook id:1", "{\"n\":1}");
        EventInbox.Receipt otherSource = inbox.receive("other", EventInbox.Channel.WEBHOOK, "id:1", "webhook id:1", "{\"n\":1}");
        assertThat(first.duplicate()).isFalse();
        assertThat(again).isEqualTo(new EventInbox.Receipt(first.eventId(), true));
        assertThat(otherSource.duplicate()).as("keys are per source").isFalse();

        List<EventInbox.Event> claimed = inbox.claim(10);
        assertThat(claimed).extracting(EventInbox.Event::id).containsExactly(first.eventId(), otherSource.eventId());
        assertThat(new EventInbox(store, "b", LEASE).claim(10)).as("claimed by another instance").isEmpty();
        assertThat(inbox.releaseOwnClaims()).isEqualTo(2);
        assertThat(new EventInbox(store, "b", Duration.ZERO).claim(10)).hasSize(2);
        assertThat(inbox.claim(10)).as("an expired lease is claimed again").hasSize(2);
    }

    @OnEveryDatabase
    @io.learnbridge.testing.ReliabilityScenario(16)
    void instancesStoringAndClaimingTheSameEventsAtOnceStoreEachOnceAndNeverClaimOneTwice(Store store) throws Exception {
        int instances = 3;
        int events = 150;
        java.util.concurrent.CyclicBarrier together = new java.util.concurrent.CyclicBarrier(instances);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(instances);
        try {
            List<java.util.concurrent.Future<List<Long>>> work = new java.util.ArrayList<>();
            for (int i = 0; i < instances; i++) {
                EventInbox inbox = new EventInbox(store, "instance-" + i, LEASE);
                work.add(pool.submit(() -> {
                    together.await();
                    // every instance receives every event (a webhook retried to another node, a rebalanced partition)
                    for (int e = 0; e < events; e++) {
                        inbox.receive("hook", EventInbox.Channel.WEBHOOK, "id:" + e, "webhook id:" + e, "{\"n\":" + e + "}");
                    }
                    List<Long> claimed = new java.util.ArrayList<>();
                    for (List<EventInbox.Event> batch = inbox.claim(7); !batch.isEmpty(); batch = inbox.claim(7)) {
                        batch.forEach(event -> claimed.add(event.id()));
                    }
                    return claimed;
                }));
            }
            List<Long> all = new java.util.ArrayList<>();
            for (var f : work) {
                all.addAll(f.get(60, java.util.concurrent.TimeUnit.SECONDS));
            }
            EventInbox any = new EventInbox(store, "x", LEASE);
            int stored = any.count("hook", "RECEIVED") + any.count("hook", "PROCESSING");
            io.learnbridge.testing.Scorecard.measure("events stored by three instances at once", events);
            io.learnbridge.testing.Scorecard.measure("duplicate effects", all.size() - all.stream().distinct().count());
            assertThat(stored).as("each event stored once").isEqualTo(events);
            assertThat(all).as("every event claimed by exactly one instance").hasSize(events).doesNotHaveDuplicates();
        } finally {
            pool.shutdownNow();
        }
    }

    @OnEveryDatabase
    void aPoisonEventIsStoredRejectedWithItsOriginInTheExceptionQueueOnce(Store store) {
        EventInbox inbox = new EventInbox(store, "a", LEASE);
        EventInbox.Receipt receipt = inbox.reject("stream", EventInbox.Channel.KAFKA, "t/2/41", "kafka topic t partition 2 offset 41", "",
                null, "value is not valid UTF-8");
        inbox.reject("stream", EventInbox.Channel.KAFKA, "t/2/41", "kafka topic t partition 2 offset 41", "", null, "value is not valid UTF-8");
        List<ExceptionEntry> queued = new ExceptionQueue(store).list(ExceptionQueue.Filter.open());
        assertThat(queued).singleElement().satisfies(e -> {
            assertThat(e.eventId()).isEqualTo(receipt.eventId());
            assertThat(e.origin()).isEqualTo("kafka topic t partition 2 offset 41");
            assertThat(e.reason()).isEqualTo("value is not valid UTF-8");
            assertThat(e.sourceRecord()).isNull();
            assertThat(e.where()).isEqualTo("stream kafka topic t partition 2 offset 41");
        });
        assertThat(inbox.claim(10)).as("a rejected event is not processed").isEmpty();
        assertThat(inbox.count("stream", "REJECTED")).isEqualTo(1);
    }

    @OnEveryDatabase
    void aPollIsStoredTogetherEachKeyOnceWithReceiptsInOrderAndItsPoisonRecordsQueuedOnce(Store store) {
        EventInbox inbox = new EventInbox(store, "a", LEASE);
        EventInbox.Receipt before = inbox.receive("stream", EventInbox.Channel.KAFKA, "t/0/0", "kafka topic t partition 0 offset 0", "{\"n\":0}");
        List<EventInbox.Receipt> receipts = inbox.receiveAll(List.of(
                kafka("t/0/0", "{\"n\":0}", null),
                kafka("t/0/1", "{\"n\":1}", null),
                kafka("t/1/0", "", "value is not valid UTF-8"),
                kafka("t/0/1", "{\"n\":1}", null),
                kafka("t/1/1", "{\"n\":2}", null)));

        assertThat(receipts).extracting(EventInbox.Receipt::duplicate).containsExactly(true, false, false, true, false);
        assertThat(receipts.get(0).eventId()).isEqualTo(before.eventId());
        assertThat(receipts.get(3).eventId()).isEqualTo(receipts.get(1).eventId());
        assertThat(inbox.claim(10)).extracting(EventInbox.Event::id)
                .containsExactly(before.eventId(), receipts.get(1).eventId(), receipts.get(4).eventId());
        assertThat(new ExceptionQueue(store).list(ExceptionQueue.Filter.open())).singleElement().satisfies(e -> {
            assertThat(e.eventId()).isEqualTo(receipts.get(2).eventId());
            assertThat(e.reason()).isEqualTo("value is not valid UTF-8");
        });
        // the same poll again (its commit was lost): every record a duplicate, nothing queued twice
        assertThat(inbox.receiveAll(List.of(kafka("t/0/1", "{\"n\":1}", null), kafka("t/1/0", "", "value is not valid UTF-8"))))
                .extracting(EventInbox.Receipt::duplicate).containsExactly(true, true);
        assertThat(new ExceptionQueue(store).list(ExceptionQueue.Filter.open())).hasSize(1);
        assertThat(inbox.count("stream", "REJECTED")).isEqualTo(1);
    }

    @OnEveryDatabase
    void aPollStoredWhileNothingWaitsIsClaimedAsItIsStoredAndOneStoredBehindWaitingEventsWaitsItsTurn(Store store) {
        EventInbox inbox = new EventInbox(store, "a", LEASE);
        EventInbox.Received first = inbox.receiveAll(List.of(
                kafka("t/0/0", "{\"n\":0}", null),
                kafka("t/0/1", "", "value is not valid UTF-8"),
                kafka("t/0/0", "{\"n\":0}", null),
                kafka("t/1/0", "{\"n\":1}", null)), true);
        assertThat(first.claimed()).as("the events to process, once each, in order; not the poison record")
                .extracting(EventInbox.Event::id, EventInbox.Event::body, EventInbox.Event::origin)
                .containsExactly(tuple(first.receipts().get(0).eventId(), "{\"n\":0}", "kafka topic t partition 0 offset 0"),
                        tuple(first.receipts().get(3).eventId(), "{\"n\":1}", "kafka topic t partition 1 offset 0"));
        assertThat(inbox.count("stream", "PROCESSING")).isEqualTo(2);
        assertThat(new EventInbox(store, "b", LEASE).claim(10)).as("held by the instance that stored them").isEmpty();
        assertThat(new EventInbox(store, "b", Duration.ZERO).claim(10)).as("claimed again only after their lease").isEmpty();

        // while they are being processed, the next poll waits behind them, stored for process-events
        EventInbox.Received second = inbox.receiveAll(List.of(kafka("t/0/2", "{\"n\":2}", null)), true);
        assertThat(second.claimed()).isEmpty();
        assertThat(inbox.count("stream", "RECEIVED")).isEqualTo(1);
        assertThat(inbox.releaseOwnClaims()).as("a restart releases them like any claim").isEqualTo(2);
        assertThat(inbox.receiveAll(List.of(kafka("t/0/3", "{\"n\":3}", null)), true).claimed())
                .as("waiting events go first").isEmpty();
        assertThat(inbox.claim(10)).extracting(EventInbox.Event::body)
                .containsExactly("{\"n\":0}", "{\"n\":1}", "{\"n\":2}", "{\"n\":3}");
        // asked not to claim, nothing is claimed
        EventInbox other = new EventInbox(store, "c", LEASE);
        assertThat(other.receiveAll(List.of(kafka("t/0/4", "{\"n\":4}", null)), false).claimed()).isEmpty();
    }

    @OnEveryDatabase
    void aPollIsStoredAndAppliedInOneTransactionWhenNothingWaitsAndNothingOfItIsStoredWhenThatTransactionFails(Store store) {
        EventInbox inbox = new EventInbox(store, "a", LEASE);
        java.util.function.Function<List<EventInbox.Event>, List<EventInbox.Mapped>> mapper = events -> events.stream()
                .map(e -> (EventInbox.Mapped) new EventInbox.Accepted(e, "E" + e.body().replaceAll("\\D", ""), MONDAY,
                        state("E" + e.body().replaceAll("\\D", ""), "monday"), TARGETS, null))
                .toList();
        EventInbox.Received received = inbox.receiveAndApply(List.of(
                kafka("t/0/0", "{\"n\":1}", null),
                kafka("t/0/1", "", "value is not valid UTF-8"),
                kafka("t/1/0", "{\"n\":2}", null)), mapper);
        assertThat(received.applied()).extracting(EventInbox.Applied::outcome).containsExactly("APPLIED", "APPLIED");
        assertThat(received.claimed()).as("nothing left to process").isEmpty();
        assertThat(inbox.count("stream", "APPLIED")).isEqualTo(2);
        assertThat(inbox.count("stream", "REJECTED")).isEqualTo(1);
        assertThat(new WorkerStates(store).get("E2")).isPresent();
        assertThat(new DeliveryQueue(store, "a", LEASE).claim("lms", 10)).extracting(Delivery::workerId).containsExactly("E1", "E2");

        // a mapper that answers null (a rescind among the events): stored claimed, for the caller to process
        EventInbox.Received rescinds = inbox.receiveAndApply(List.of(kafka("t/0/2", "{\"n\":3}", null)), events -> null);
        assertThat(rescinds.applied()).isEmpty();
        assertThat(rescinds.claimed()).extracting(EventInbox.Event::body).containsExactly("{\"n\":3}");
        inbox.releaseOwnClaims();
        inbox.applyAll(inbox.claim(10).stream().map(e -> mapper.apply(List.of(e)).get(0)).toList());

        // a transaction that fails stores nothing of the poll, which can then be stored on its own
        List<EventInbox.Incoming> poll = List.of(kafka("t/0/3", "{\"n\":4}", null));
        assertThatThrownBy(() -> inbox.receiveAndApply(poll, events -> List.of(new EventInbox.Accepted(events.get(0), "E4", MONDAY,
                "{ not a canonical record", TARGETS, null)))).isInstanceOf(RuntimeException.class);
        assertThat(inbox.count("stream", "PROCESSING") + inbox.count("stream", "RECEIVED") + inbox.count("stream", "APPLIED")).isEqualTo(3);
        assertThat(inbox.receiveAll(poll, true).claimed()).extracting(EventInbox.Event::body).containsExactly("{\"n\":4}");
    }

    @OnEveryDatabase
    void deliveriesOfEventsAppliedWhileATargetClaimsAreStoredClaimedAndHandedToItsNextClaimWithTheNewestState(Store store) throws Exception {
        DeliveryQueue outbox = new DeliveryQueue(store, "a", LEASE);
        EventInbox inbox = new EventInbox(store, "a", LEASE, target -> null, outbox);
        // before the target's route has claimed, deliveries are queued for any claim
        applyOne(inbox, "e0", "E0", MONDAY);
        assertThat(outbox.count("lms", "PENDING")).isEqualTo(1);
        List<Delivery> first = outbox.claim("lms", 1);
        assertThat(first).extracting(Delivery::workerId).containsExactly("E0");
        outbox.deliveredAll(java.util.Map.of(first.get(0).id(), 200));

        // the route claims (1 at a time): up to 10 claims' worth of new deliveries are stored claimed, the rest pending
        for (int i = 1; i <= 11; i++) {
            applyOne(inbox, "e" + i, "E" + i, MONDAY);
        }
        applyOne(inbox, "e1-newer", "E1", FRIDAY);
        List<String> rows = new java.util.ArrayList<>();
        try (var c = store.dataSource().getConnection(); var rs = c.createStatement().executeQuery(
                "select worker_id, status, claimed_by, attempts from delivery where target = 'lms' and worker_id <> 'E0' order by id")) {
            while (rs.next()) {
                rows.add(rs.getString(1) + " " + rs.getString(2) + " " + rs.getString(3) + " " + rs.getInt(4));
            }
        }
        List<String> expected = new java.util.ArrayList<>();
        for (int i = 1; i <= 10; i++) {
            expected.add("E" + i + " SENDING a 1");
        }
        expected.addAll(List.of("E11 PENDING null 0", "E1 PENDING null 0"));
        assertThat(rows).containsExactlyElementsOf(expected);
        assertThat(new DeliveryQueue(store, "b", LEASE).claim("lms", 20)).as("another instance takes only the pending ones")
                .extracting(Delivery::workerId).containsExactly("E11", "E1");
        List<Delivery> next = outbox.claim("lms", 2);
        assertThat(next).extracting(Delivery::workerId).containsExactly("E1", "E2");
        assertThat(next.get(0).canonical()).as("a state target is sent the worker's newest state").contains("friday");
        assertThat(next.get(0).attempts()).isZero();
        outbox.deliveredAll(java.util.Map.of(next.get(0).id(), 200, next.get(1).id(), 200));
        assertThat(outbox.count("lms", "DELIVERED")).isEqualTo(3);
        assertThat(outbox.claim("lms", 2)).extracting(Delivery::workerId).containsExactly("E3", "E4");

        // a shutdown puts what was handed and not taken back in the outbox, a restart what was taken and not settled
        assertThat(outbox.releaseHandedOff()).isEqualTo(6);
        assertThat(outbox.releaseOwnClaims()).isEqualTo(2);
        assertThat(new DeliveryQueue(store, "b", LEASE).claim("lms", 20)).extracting(Delivery::workerId)
                .containsExactly("E3", "E4", "E5", "E6", "E7", "E8", "E9", "E10");
    }

    @OnEveryDatabase
    void whatWasHandedToATargetThatStoppedClaimingGoesBackToPendingWithTheNextHandOff(Store store) {
        DeliveryQueue outbox = new DeliveryQueue(store, "a", LEASE, Duration.ofMillis(400));
        EventInbox inbox = new EventInbox(store, "a", LEASE, target -> null, outbox);
        assertThat(outbox.claim("lms", 5)).isEmpty();
        Instant claimed = Instant.now(); // after the claim: it is older than this
        applyOne(inbox, "e1", "E1", MONDAY);
        applyOne(inbox, "e2", "E2", MONDAY);
        assertThat(outbox.count("lms", "SENDING")).isEqualTo(2);
        // the route has not claimed for longer than the window
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> Instant.now().isAfter(claimed.plusMillis(500)));
        applyOne(inbox, "e3", "E3", MONDAY);
        assertThat(outbox.count("lms", "SENDING")).isZero();
        assertThat(new DeliveryQueue(store, "b", LEASE).claim("lms", 10)).as("any instance may take them now")
                .extracting(Delivery::workerId).containsExactly("E1", "E2", "E3");
        assertThat(outbox.claim("lms", 10)).as("nothing is left in the hand-off").isEmpty();
    }

    @OnEveryDatabase
    void aHandedOffDeliveryNotClaimedWithinHalfItsLeaseIsClaimedFromTheOutboxWhenItsLeaseEnds(Store store) {
        Duration lease = Duration.ofMillis(800);
        DeliveryQueue outbox = new DeliveryQueue(store, "a", lease);
        EventInbox inbox = new EventInbox(store, "a", LEASE, target -> null, outbox);
        assertThat(outbox.claim("lms", 10)).isEmpty();
        Instant beforeHandOff = Instant.now();
        applyOne(inbox, "e1", "E1", MONDAY);
        Instant handed = Instant.now(); // its lease began between the two
        assertThat(outbox.count("lms", "SENDING")).isEqualTo(1);
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> Instant.now().isAfter(handed.plusMillis(500)));
        assertThat(outbox.claim("lms", 10)).as("past half its lease it is not handed out, and not claimable before its lease ends").isEmpty();
        List<List<Delivery>> claims = new java.util.ArrayList<>();
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50))
                .until(() -> claims.add(outbox.claim("lms", 10)) && !claims.get(claims.size() - 1).isEmpty());
        assertThat(Duration.between(beforeHandOff, Instant.now())).as("claimed again only once its lease ended").isGreaterThanOrEqualTo(lease);
        assertThat(claims.get(claims.size() - 1)).extracting(Delivery::workerId, Delivery::attempts).containsExactly(tuple("E1", 1));
    }

    private static void applyOne(EventInbox inbox, String key, String workerId, Instant effectiveAt) {
        inbox.receive("hook", EventInbox.Channel.WEBHOOK, "id:" + key, "webhook id:" + key, "{}");
        List<EventInbox.Event> events = inbox.claim(1);
        assertThat(inbox.applyAll(List.of(new EventInbox.Accepted(events.get(0), workerId, effectiveAt,
                state(workerId, effectiveAt.equals(FRIDAY) ? "friday" : "monday"), List.of("lms"), null))))
                .extracting(EventInbox.Applied::outcome).containsExactly("APPLIED");
    }

    private static EventInbox.Incoming kafka(String key, String body, String reason) {
        String[] at = key.split("/");
        return new EventInbox.Incoming("stream", EventInbox.Channel.KAFKA, key, "kafka topic " + at[0] + " partition " + at[1] + " offset " + at[2],
                body, null, reason);
    }

    @OnEveryDatabase
    void aBatchIsAppliedInOneTransactionInOrderWithItsRejectionsQueued(Store store) {
        EventInbox inbox = new EventInbox(store, "a", LEASE);
        for (String key : List.of("friday", "monday", "bad", "other")) {
            inbox.receive("hook", EventInbox.Channel.WEBHOOK, "id:" + key, "webhook id:" + key, "{}");
        }
        List<EventInbox.Event> events = inbox.claim(10);

        List<EventInbox.Applied> applied = inbox.applyAll(List.of(
                new EventInbox.Accepted(events.get(0), "E1", FRIDAY, state("E1", "friday"), TARGETS, null),
                new EventInbox.Accepted(events.get(1), "E1", MONDAY, state("E1", "monday"), TARGETS, null),
                new EventInbox.Rejected(events.get(2), "E3", "email", "not an email address"),
                new EventInbox.Accepted(events.get(3), "E2", MONDAY, state("E2", "monday"), TARGETS, null)));

        assertThat(applied).extracting(EventInbox.Applied::outcome).containsExactly("APPLIED", "SUPERSEDED", "REJECTED", "APPLIED");
        assertThat(new WorkerStates(store).get("E1")).hasValueSatisfying(s -> assertThat(s.canonical()).contains("friday"));
        assertThat(new ExceptionQueue(store).list(ExceptionQueue.Filter.open())).singleElement().satisfies(e -> {
            assertThat(e.eventId()).isEqualTo(events.get(2).id());
            assertThat(e.id()).isEqualTo(applied.get(2).exceptionId());
            assertThat(e.field()).isEqualTo("email");
            assertThat(e.workerId()).as("the worker the rejected event names").isEqualTo("E3");
        });
        assertThat(new DeliveryQueue(store, "a", LEASE).claim("lms", 10)).extracting(Delivery::workerId).containsExactly("E1", "E2");
        assertThat(inbox.claim(10)).as("every event of the batch is settled").isEmpty();
    }

    @OnEveryDatabase
    void withinABatchEachEventIsDecidedAgainstTheStateTheEventsBeforeItLeft(Store store) {
        EventInbox inbox = new EventInbox(store, "a", LEASE);
        io.learnbridge.worker.ChangeDetector detector = new io.learnbridge.worker.ChangeDetector(false);
        for (String key : List.of("e9", "e5-new", "e5-same", "e5-moved", "e9-moved")) {
            inbox.receive("hook", EventInbox.Channel.WEBHOOK, "id:" + key, "webhook id:" + key, "{}");
        }
        List<EventInbox.Event> events = inbox.claim(10);
        inbox.applyAll(List.of(new EventInbox.Accepted(events.get(0), "E9", MONDAY, state("E9", "clerk"), TARGETS, detector)));

        List<EventInbox.Applied> applied = inbox.applyAll(List.of(
                new EventInbox.Accepted(events.get(1), "E5", MONDAY, state("E5", "clerk"), TARGETS, detector),
                // the same state again: unchanged against the state the event before it left, not the empty store
                new EventInbox.Accepted(events.get(2), "E5", MONDAY.plusSeconds(60), state("E5", "clerk"), TARGETS, detector),
                new EventInbox.Accepted(events.get(3), "E5", FRIDAY, state("E5", "manager"), TARGETS, detector),
                new EventInbox.Accepted(events.get(4), "E9", FRIDAY, state("E9", "manager"), TARGETS, detector)));

        assertThat(applied).extracting(EventInbox.Applied::outcome).containsExactly("APPLIED", "UNCHANGED", "APPLIED", "APPLIED");
        assertThat(new WorkerStates(store).get("E5")).hasValueSatisfying(s -> assertThat(s.canonical()).contains("manager"));
        assertThat(new WorkerStates(store).get("E9")).hasValueSatisfying(s -> assertThat(s.canonical()).contains("manager"));
        assertThat(store.<String>tx(c -> {
            try (var rs = c.createStatement().executeQuery("select home_source || ' ' || enrolment_kind from worker_state where worker_id = 'E5'")) {
                rs.next();
                return rs.getString(1);
            }
        })).as("a new worker keeps the source that created it; the last change's kind (a new job title: MOVE) is due for enrolment").isEqualTo("hook MOVE");
        assertThat(new DeliveryQueue(store, "a", LEASE).claim("lms", 10)).extracting(Delivery::workerId, Delivery::changeKind)
                .containsExactly(tuple("E9", "JOIN"), tuple("E5", "JOIN"), tuple("E5", "MOVE"), tuple("E9", "MOVE"));
        assertThat(inbox.count("hook", "UNCHANGED")).isEqualTo(1);
    }

    @OnEveryDatabase
    void aBatchWithAnEventTheStoreRefusesCommitsNothing(Store store) {
        EventInbox inbox = new EventInbox(store, "a", LEASE);
        inbox.receive("hook", EventInbox.Channel.WEBHOOK, "id:good", "webhook id:good", "{}");
        inbox.receive("hook", EventInbox.Channel.WEBHOOK, "id:too-long", "webhook id:too-long", "{}");
        List<EventInbox.Event> events = inbox.claim(10);
        String tooLong = "E".repeat(201); // worker_id is varchar(200)

        assertThatThrownBy(() -> inbox.applyAll(List.of(
                new EventInbox.Accepted(events.get(0), "E1", MONDAY, state("E1", "monday"), TARGETS, null),
                new EventInbox.Accepted(events.get(1), tooLong, MONDAY, state(tooLong, "monday"), TARGETS, null))))
                .isInstanceOf(StoreException.class);

        assertThat(new WorkerStates(store).get("E1")).as("rolled back with the batch").isEmpty();
        assertThat(new DeliveryQueue(store, "a", LEASE).count("lms", "PENDING")).isZero();
        assertThat(inbox.count("hook", "PROCESSING")).as("both still claimed, processed again when the claim expires").isEqualTo(2);
    }

    @OnEveryDatabase
    void anOlderChangeIsSupersededAndDeliveriesSendTheNewestState(Store store) {
        EventInbox inbox = new EventInbox(store, "a", LEASE);
        inbox.receive("hook", EventInbox.Channel.WEBHOOK, "id:new", "webhook id:new", "{}");
        inbox.receive("hook", EventInbox.Channel.WEBHOOK, "id:old", "webhook id:old", "{}");
        List<EventInbox.Event> events = inbox.claim(10);

        assertThat(inbox.apply(events.get(0), "E1", FRIDAY, state("E1", "friday"), TARGETS)).isEqualTo(WorkerStates.Outcome.APPLIED);
        assertThat(inbox.apply(events.get(1), "E1", MONDAY, state("E1", "monday"), TARGETS)).isEqualTo(WorkerStates.Outcome.SUPERSEDED);
        assertThat(inbox.count("hook", "APPLIED")).isEqualTo(1);
        assertThat(inbox.count("hook", "SUPERSEDED")).isEqualTo(1);
        assertThat(new WorkerStates(store).get("E1")).hasValueSatisfying(s -> {
            assertThat(s.effectiveAt()).isEqualTo(FRIDAY);
            assertThat(s.canonical()).contains("friday");
        });
        List<Delivery> lms = new DeliveryQueue(store, "a", LEASE).claim("lms", 10);
        assertThat(lms).singleElement().satisfies(d -> {
            assertThat(d.eventId()).isEqualTo(events.get(0).id());
            assertThat(d.canonical()).contains("friday");
        });
        assertThat(inbox.apply(events.get(0), "E1", FRIDAY, state("E1", "friday"), TARGETS))
                .as("the same event applied again (a crash before its status was written)").isEqualTo(WorkerStates.Outcome.APPLIED);
        assertThat(new DeliveryQueue(store, "a", LEASE).count("lxp", "PENDING")).as("queued once per target").isEqualTo(1);
    }

    @OnEveryDatabase
    void aDropRowOlderThanTheStoredStateIsSupersededAndANewerOneReplacesIt(Store store) {
        EventInbox inbox = new EventInbox(store, "a", LEASE);
        inbox.receive("hook", EventInbox.Channel.WEBHOOK, "id:1", "webhook id:1", "{}");
        inbox.apply(inbox.claim(1).get(0), "E1", FRIDAY, state("E1", "webhook-friday"), List.of("lms"));
        DeliveryQueue queue = new DeliveryQueue(store, "a", LEASE);
        queue.delivered(queue.claim("lms", 10).get(0).id(), 200);

        DropLedger ledger = new DropLedger(store, "a", LEASE);
        DropClaim drop = ledger.claim("hr", "monday.csv", "sum-monday", 10);
        ledger.stage(drop, List.of(row(2, "E1", MONDAY, "drop-monday"), row(3, "E2", MONDAY, "drop-monday")));
        DropLedger.Summary summary = ledger.finish(drop, List.of("lms"));
        assertThat(summary.superseded()).isEqualTo(1);
        assertThat(summary.deliveries()).isEqualTo(1);
        assertThat(new WorkerStates(store).get("E1").orElseThrow().canonical()).contains("webhook-friday");
        assertThat(new WorkerStates(store).get("E2").orElseThrow().canonical()).contains("drop-monday");
        assertThat(new Reconciliation(store).forDrop(drop.dropId())).hasValueSatisfying(r -> {
            assertThat(r.superseded()).isEqualTo(1);
            assertThat(r.balanced()).isTrue();
        });

        DropClaim later = ledger.claim("hr", "saturday.csv", "sum-saturday", 10);
        ledger.stage(later, List.of(row(2, "E1", FRIDAY.plusSeconds(3_600), "drop-saturday")));
        assertThat(ledger.finish(later, List.of("lms")).superseded()).isZero();
        assertThat(new WorkerStates(store).get("E1").orElseThrow().canonical()).contains("drop-saturday");
        assertThat(queue.claim("lms", 10)).extracting(Delivery::workerId, d -> d.canonical().contains("drop-saturday") || d.workerId().equals("E2"))
                .containsOnly(org.assertj.core.groups.Tuple.tuple("E2", true), org.assertj.core.groups.Tuple.tuple("E1", true));
    }

    @OnEveryDatabase
    void aTargetIsQueuedOnlyTheChangeKindsItTakesAndReconciliationCountsTheRestAsNotTaken(Store store) {
        java.util.function.Function<String, java.util.Set<String>> kinds = t -> t.equals("lrs") ? java.util.Set.of("JOIN", "LEAVE") : null;
        DropLedger ledger = new DropLedger(store, "a", LEASE, kinds);
        DropClaim day1 = ledger.claim("hr", "day1.csv", "sum-1", 10);
        ledger.stage(day1, List.of(row(2, "E1", MONDAY, "engineer"), row(3, "E2", MONDAY, "engineer")));
        assertThat(ledger.finish(day1, List.of("lms", "lrs")).deliveries()).isEqualTo(4);

        DropClaim day2 = ledger.claim("hr", "day2.csv", "sum-2", 10);
        StagedRow moved = new StagedRow(2, "E1", true, "h-moved", "{}", "{\"workerId\":\"E1\",\"jobTitle\":\"engineer\",\"orgUnit\":\"Sales\"}",
                FRIDAY, null, null);
        StagedRow left = new StagedRow(3, "E2", true, "h-left", "{}", "{\"workerId\":\"E2\",\"jobTitle\":\"engineer\",\"employmentStatus\":\"TERMINATED\"}",
                FRIDAY, null, null);
        ledger.stage(day2, List.of(moved, left));
        DropLedger.Summary summary = ledger.finish(day2, List.of("lms", "lrs"));
        assertThat(summary.plan().moves()).isEqualTo(1);
        assertThat(summary.plan().leaves()).isEqualTo(1);
        assertThat(summary.deliveries()).as("lms takes both, lrs only the leave").isEqualTo(3);
        Reconciliation.Report report = new Reconciliation(store).forDrop(day2.dropId()).orElseThrow();
        assertThat(report.targets()).extracting(Reconciliation.TargetCounts::target, Reconciliation.TargetCounts::pending,
                Reconciliation.TargetCounts::notTaken).containsExactly(org.assertj.core.groups.Tuple.tuple("lms", 2, 0),
                org.assertj.core.groups.Tuple.tuple("lrs", 1, 1));
        assertThat(report.balanced()).isTrue();

        EventInbox inbox = new EventInbox(store, "a", LEASE, kinds);
        inbox.receive("hook", EventInbox.Channel.WEBHOOK, "id:move", "webhook id:move", "{}");
        inbox.apply(inbox.claim(1).get(0), "E1", FRIDAY.plusSeconds(60), "{\"workerId\":\"E1\",\"jobTitle\":\"engineer\",\"orgUnit\":\"Legal\"}",
                List.of("lms", "lrs"), new io.learnbridge.worker.ChangeDetector(false));
        DeliveryQueue queue = new DeliveryQueue(store, "a", LEASE);
        assertThat(queue.claim("lrs", 10, false)).extracting(Delivery::changeKind).as("no MOVE for lrs").doesNotContain("MOVE");
        assertThat(queue.claim("lms", 10)).extracting(Delivery::changeKind).contains("MOVE");
    }

    private static StagedRow row(int line, String workerId, Instant effectiveAt, String marker) {
        return new StagedRow(line, workerId, true, marker + workerId, "{\"line\":" + line + "}", state(workerId, marker), effectiveAt, null, null);
    }

    private static String state(String workerId, String marker) {
        return "{\"workerId\":\"" + workerId + "\",\"jobTitle\":\"" + marker + "\"}";
    }
}
