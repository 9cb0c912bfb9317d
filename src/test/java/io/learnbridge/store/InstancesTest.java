package io.learnbridge.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;

/**
 * The instances sharing a store ({@link Instances}), on every database the store supports: an instance that stops
 * beating is marked departed by another, which puts its claimed events and deliveries back to waiting at once (long
 * before their leases end) and may claim its drop again; the departed one, should it come back, can no longer write
 * into that drop; nobody judges the others before its own beats have run for the departure time; a drop claimed
 * before its instance started again is claimed by another at once.
 */
class InstancesTest {

    private static final Duration LONG_LEASE = Duration.ofMinutes(10);
    private static final Duration DEPARTED_AFTER = Duration.ofMillis(600);

    private static Instances instances(Store store, String id, EventInbox inbox, DeliveryQueue deliveries) {
        return new Instances(store, id, DEPARTED_AFTER, List.of(inbox::releaseClaimsOf, deliveries::releaseClaimsOf));
    }

    @OnEveryDatabase
    @io.learnbridge.testing.ReliabilityScenario(16)
    void anInstanceThatStopsBeatingIsMarkedDepartedAndItsClaimsAreTakenAtOnce(Store store) throws Exception {
        EventInbox inboxA = new EventInbox(store, "a", LONG_LEASE);
        EventInbox inboxB = new EventInbox(store, "b", LONG_LEASE);
        Instances a = instances(store, "a", inboxA, new DeliveryQueue(store, "a", LONG_LEASE));
        Instances b = instances(store, "b", inboxB, new DeliveryQueue(store, "b", LONG_LEASE));
        a.beat();
        b.beat();
        inboxA.receive("hook", EventInbox.Channel.WEBHOOK, "id:1", "webhook id:1", "{\"n\":1}");
        inboxA.receive("hook", EventInbox.Channel.WEBHOOK, "id:2", "webhook id:2", "{\"n\":2}");
        assertThat(inboxA.claim(10)).hasSize(2);
        assertThat(inboxB.claim(10)).as("a's claims, inside their lease").isEmpty();
        assertThat(b.heartbeat()).as("a beat moments ago").isEmpty();

        // a stops beating (killed); b goes on beating until it finds a departed
        java.util.concurrent.atomic.AtomicReference<List<Instances.Departed>> found = new java.util.concurrent.atomic.AtomicReference<>(List.of());
        org.awaitility.Awaitility.await().atMost(DEPARTED_AFTER.multipliedBy(4)).pollInterval(Duration.ofMillis(100))
                .until(() -> !found.updateAndGet(none -> b.heartbeat()).isEmpty());
        List<Instances.Departed> departed = found.get();

        assertThat(departed).singleElement().satisfies(d -> {
            assertThat(d.instance()).isEqualTo("a");
            assertThat(d.released()).isEqualTo(2);
        });
        assertThat(inboxB.claim(10)).as("taken at once, 10 minutes before the lease ends").hasSize(2);
        assertThat(b.heartbeat()).as("marked once").isEmpty();
        assertThat(departedAt(store, "a")).isTrue();

        a.beat();
        assertThat(departedAt(store, "a")).as("a beat again: running").isFalse();
    }

    @OnEveryDatabase
    void anInstanceJudgesNoOtherBeforeItsOwnBeatsHaveRunForTheDepartureTime(Store store) throws Exception {
        Instances a = instances(store, "a", new EventInbox(store, "a", LONG_LEASE), new DeliveryQueue(store, "a", LONG_LEASE));
        a.beat();
        Thread.sleep(DEPARTED_AFTER.multipliedBy(2).toMillis());
        // b starts (or comes back from a store outage) after a's last beat is old: a may be about to beat again
        Instances b = instances(store, "b", new EventInbox(store, "b", LONG_LEASE), new DeliveryQueue(store, "b", LONG_LEASE));

        assertThat(b.heartbeat()).isEmpty();
        assertThat(departedAt(store, "a")).isFalse();
    }

    @OnEveryDatabase
    @io.learnbridge.testing.ReliabilityScenario(16)
    void theDropOfADepartedInstanceIsClaimedAgainAndTheDepartedOneCanNoLongerStageIt(Store store) throws Exception {
        DropLedger ledgerA = new DropLedger(store, "a", LONG_LEASE);
        DropLedger ledgerB = new DropLedger(store, "b", LONG_LEASE);
        Instances a = instances(store, "a", new EventInbox(store, "a", LONG_LEASE), new DeliveryQueue(store, "a", LONG_LEASE));
        Instances b = instances(store, "b", new EventInbox(store, "b", LONG_LEASE), new DeliveryQueue(store, "b", LONG_LEASE));
        a.beat();
        b.beat();
        DropClaim claimA = ledgerA.claim("hr", "workers.csv", "sum-1", 10);
        ledgerA.stage(claimA, List.of(row(2, "E1")));
        assertThatThrownBy(() -> ledgerB.claim("hr", "workers.csv", "sum-1", 10)).as("a is running: its claim holds")
                .isInstanceOf(DropBusyException.class);

        java.util.concurrent.atomic.AtomicReference<List<Instances.Departed>> found = new java.util.concurrent.atomic.AtomicReference<>(List.of());
        org.awaitility.Awaitility.await().atMost(DEPARTED_AFTER.multipliedBy(4)).pollInterval(Duration.ofMillis(100))
                .until(() -> !found.updateAndGet(none -> b.heartbeat()).isEmpty());
        assertThat(found.get()).extracting(Instances.Departed::instance).containsExactly("a");
        DropClaim claimB = ledgerB.claim("hr", "workers.csv", "sum-1", 10);

        assertThat(claimB.dropId()).isEqualTo(claimA.dropId());
        assertThatThrownBy(() -> ledgerA.stage(claimA, List.of(row(3, "E2"))))
                .as("a was only slow: it must not write into the drop b stages afresh").isInstanceOf(DropBusyException.class)
                .hasMessageContaining("claimed by instance b");
        ledgerB.stage(claimB, List.of(row(2, "E1"), row(3, "E2")));
        assertThat(ledgerB.finish(claimB, List.of("lms")).deliveries()).isEqualTo(2);
    }

    @OnEveryDatabase
    void aDropClaimedBeforeItsInstanceStartedAgainIsClaimedByAnotherAtOnce(Store store) throws Exception {
        Instances a = instances(store, "a", new EventInbox(store, "a", LONG_LEASE), new DeliveryQueue(store, "a", LONG_LEASE));
        a.beat();
        DropLedger ledgerA = new DropLedger(store, "a", LONG_LEASE);
        DropClaim claimA = ledgerA.claim("hr", "workers.csv", "sum-1", 10);
        ledgerA.stage(claimA, List.of(row(2, "E1")));
        DropLedger ledgerB = new DropLedger(store, "b", LONG_LEASE);
        assertThatThrownBy(() -> ledgerB.claim("hr", "workers.csv", "sum-1", 10)).isInstanceOf(DropBusyException.class);

        // a's process is killed and started again (same instance id), and is not the one polling the folder now
        java.time.Instant claimed = java.time.Instant.now();
        org.awaitility.Awaitility.await().pollInterval(Duration.ofMillis(1)).until(() -> java.time.Instant.now().isAfter(claimed.plusMillis(1)));
        instances(store, "a", new EventInbox(store, "a", LONG_LEASE), new DeliveryQueue(store, "a", LONG_LEASE)).beat();

        DropClaim claimB = ledgerB.claim("hr", "workers.csv", "sum-1", 10);
        assertThat(claimB.dropId()).as("the claim died with a's earlier process").isEqualTo(claimA.dropId());
        ledgerB.stage(claimB, List.of(row(2, "E1")));
        assertThat(ledgerB.finish(claimB, List.of("lms")).deliveries()).isEqualTo(1);
    }

    @OnEveryDatabase
    void twoRunningProcessesWithOneInstanceIdAreFoundAtTheirNextBeat(Store store) {
        Instances first = instances(store, "a", new EventInbox(store, "a", LONG_LEASE), new DeliveryQueue(store, "a", LONG_LEASE));
        Instances second = instances(store, "a", new EventInbox(store, "a", LONG_LEASE), new DeliveryQueue(store, "a", LONG_LEASE));
        first.beat();
        second.beat();
        assertThat(second.sharesItsId()).as("at its first beat the row may be its own earlier, killed process").isFalse();
        Instances alone = instances(store, "b", new EventInbox(store, "b", LONG_LEASE), new DeliveryQueue(store, "b", LONG_LEASE));
        alone.beat();
        alone.beat();

        first.beat();

        assertThat(first.sharesItsId()).as("another process wrote its id since this one's last beat").isTrue();
        assertThat(alone.sharesItsId()).isFalse();
    }

    @OnEveryDatabase
    @io.learnbridge.testing.ReliabilityScenario(16)
    void heldChangesReleasedByTwoInstancesAtOnceAreAppliedAndQueuedOnce(Store store) throws Exception {
        int workers = 200;
        DropLedger a = new DropLedger(store, "a", LONG_LEASE);
        DropLedger b = new DropLedger(store, "b", LONG_LEASE);
        DropClaim claim = a.claim("hr", "hires.csv", "sum-held", 10);
        List<StagedRow> rows = new java.util.ArrayList<>();
        java.time.Instant nextWeek = java.time.Instant.now().plus(Duration.ofDays(7));
        for (int i = 0; i < workers; i++) {
            String worker = "H" + i;
            rows.add(new StagedRow(i + 2, worker, true, "h-" + worker, "{\"line\":" + (i + 2) + "}", "{\"workerId\":\"" + worker + "\"}",
                    nextWeek, null, null));
        }
        a.stage(claim, rows);
        a.finish(claim, List.of("lms"));
        assertThat(count(store, "select count(*) from held_change")).as("hires dated next week are held").isEqualTo(workers);
        // next week comes
        store.tx(c -> {
            try (PreparedStatement ps = c.prepareStatement("update held_change set effective_at = current_timestamp");
                 PreparedStatement rowsDue = c.prepareStatement("update drop_row set effective_at = current_timestamp where drop_id = ?")) {
                rowsDue.setLong(1, claim.dropId());
                rowsDue.executeUpdate();
                return ps.executeUpdate();
            }
        });

        java.util.concurrent.CyclicBarrier together = new java.util.concurrent.CyclicBarrier(2);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            List<java.util.concurrent.Future<Integer>> released = new java.util.ArrayList<>();
            for (DropLedger instance : List.of(a, b)) {
                released.add(pool.submit(() -> {
                    together.await();
                    int n = 0;
                    for (int got = instance.releaseDue(source -> List.of("lms"), 7); got > 0; got = instance.releaseDue(source -> List.of("lms"), 7)) {
                        n += got;
                    }
                    return n;
                }));
            }
            int total = released.get(0).get() + released.get(1).get();
            assertThat(total).as("released once in all (a %d, b %d)", released.get(0).get(), released.get(1).get()).isEqualTo(workers);
        } finally {
            pool.shutdownNow();
        }
        assertThat(count(store, "select count(*) from held_change")).isZero();
        assertThat(count(store, "select count(*) from delivery where drop_id = " + claim.dropId())).as("one delivery each").isEqualTo(workers);
        assertThat(count(store, "select count(distinct worker_id) from delivery where drop_id = " + claim.dropId())).isEqualTo(workers);
    }

    private static int count(Store store, String sql) {
        return store.tx(c -> {
            try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        });
    }

    private static StagedRow row(int line, String workerId) {
        return new StagedRow(line, workerId, true, "h-" + workerId, "{\"line\":" + line + "}", "{\"workerId\":\"" + workerId + "\"}", null, null, null);
    }

    private static boolean departedAt(Store store, String instance) {
        return store.tx(c -> {
            try (PreparedStatement ps = c.prepareStatement("select departed_at from bridge_instance where instance_id = ?")) {
                ps.setString(1, instance);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getObject(1) != null;
                }
            }
        });
    }
}
