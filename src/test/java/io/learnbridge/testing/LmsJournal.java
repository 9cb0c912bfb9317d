package io.learnbridge.testing;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.http.Fault;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the WireMock LMS saw, read from its request journal: every completed PUT to
 * {@code /lms/users/<workerId>} with its body, arrival time and the answer it got (status or fault).
 */
public final class LmsJournal {

    /** One PUT the LMS answered (a fault counts as answered: WireMock read the whole request first). */
    public record Put(String workerId, String url, String body, Instant at, int status, Fault fault) {

        public boolean succeeded() {
            return fault == null && status >= 200 && status < 300;
        }
    }

    private final WireMockServer lms;

    public LmsJournal(WireMockServer lms) {
        this.lms = lms;
    }

    /** Every answered PUT, oldest first. */
    public List<Put> puts() {
        List<Put> puts = new ArrayList<>();
        for (ServeEvent event : lms.getAllServeEvents()) {
            if (!event.getRequest().getMethod().getName().equals("PUT") || event.getResponse() == null) {
                continue;
            }
            String url = event.getRequest().getUrl();
            puts.add(new Put(url.substring(SftpLmsWorld.LMS_PATH.length() + 1), url, event.getRequest().getBodyAsString(),
                    event.getRequest().getLoggedDate().toInstant(), event.getResponse().getStatus(), event.getResponse().getFault()));
        }
        puts.sort(Comparator.comparing(Put::at));
        return puts;
    }

    /** Every answered PUT grouped by worker, each worker's oldest first. */
    public Map<String, List<Put>> putsByWorker() {
        Map<String, List<Put>> byWorker = new LinkedHashMap<>();
        for (Put put : puts()) {
            byWorker.computeIfAbsent(put.workerId(), k -> new ArrayList<>()).add(put);
        }
        return byWorker;
    }

    /** How many PUTs of each worker got the given HTTP status (faults excluded). */
    public Map<String, Long> countByWorker(int status) {
        Map<String, Long> counts = new LinkedHashMap<>();
        for (Put put : puts()) {
            if (put.fault() == null && put.status() == status) {
                counts.merge(put.workerId(), 1L, Long::sum);
            }
        }
        return counts;
    }

    /** The gaps between a PUT answered with {@code status} and the same worker's next PUT. */
    public List<Duration> gapsAfter(int status) {
        List<Duration> gaps = new ArrayList<>();
        for (List<Put> puts : putsByWorker().values()) {
            for (int i = 0; i + 1 < puts.size(); i++) {
                if (puts.get(i).fault() == null && puts.get(i).status() == status) {
                    gaps.add(Duration.between(puts.get(i).at(), puts.get(i + 1).at()));
                }
            }
        }
        return gaps;
    }

    /**
     * Workers whose successful PUTs carried more than one distinct body (two different states sent
     * to one learner), and the PUTs beyond the first per worker (identical upserts sent again).
     */
    public record Resends(List<String> conflicting, int identical) {
    }

    public Resends resends() {
        List<String> conflicting = new ArrayList<>();
        int identical = 0;
        for (Map.Entry<String, List<Put>> worker : putsByWorker().entrySet()) {
            long bodies = worker.getValue().stream().filter(Put::succeeded).map(Put::body).distinct().count();
            if (bodies != 1) {
                conflicting.add(worker.getKey());
            }
            identical += worker.getValue().size() - 1;
        }
        return new Resends(conflicting, identical);
    }
}
