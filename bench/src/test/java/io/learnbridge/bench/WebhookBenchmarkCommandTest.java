package io.learnbridge.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.learnbridge.bench.webhook.FloorWebhookServer;
import io.learnbridge.bench.webhook.SignedEvents;
import io.learnbridge.bench.webhook.WebhookServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A smoke test of {@code benchmark-webhooks} at a tiny size: the real bridge and the floor both
 * answer every signed request 202, the report has the latency figures and the ratios, and every
 * acknowledged request is in each store. Nothing here is timed.
 */
final class WebhookBenchmarkCommandTest {

    @TempDir
    Path dir;

    @Test
    void tinyLoadIsAcknowledgedAndStoredByTheBridgeItsIntakeAloneAndTheFloor() {
        String output = runCli("benchmark-webhooks", "--rate", "50", "--seconds", "2", "--warmup-seconds", "1", "--also-intake-only",
                "--dir", dir.toString());

        for (String server : new String[] {"learnbridge", "lb-intake", "floor"}) {
            assertThat(output).containsPattern("run 1/1 " + server + " +[\\d.,]+ 202s/s  latency ms p50 [\\d.]+ p90 [\\d.]+ p99 [\\d.]+ "
                    + "p99\\.9 [\\d.]+ max [\\d.]+  errors 0 ");
            assertThat(output).containsPattern("\n" + server + " +1 +50 +[\\d.,]+ +[\\d.]+ +[\\d.]+ +[\\d.]+ +[\\d.]+ +[\\d.]+ +0 ");
            assertThat(output).contains(String.format("%-12s run 1: 202 x 150; 150 sent, 100 measured, 0 duplicates", server));
            Matcher stored = Pattern.compile(server + " +run 1: accepted (\\d+) = stored (\\d+)").matcher(output);
            assertThat(stored.find()).as("stored line of %s in%n%s", server, output).isTrue();
            assertThat(Long.parseLong(stored.group(1))).isEqualTo(150).isEqualTo(Long.parseLong(stored.group(2)));
        }
        assertThat(output).containsPattern("Ratios, learnbridge / floor \\(medians\\): throughput \\d+\\.\\d\\dx .* p99 \\d+\\.\\d\\dx");
        assertThat(output).containsPattern("learnbridge .*\n +in the background when the load ended: events .*APPLIED.*; deliveries to the sandbox LMS");
        assertThat(output).containsPattern("lb-intake .*\n +in the background when the load ended: events 150 RECEIVED; deliveries to the sandbox LMS none yet");
        assertThat(output).as("learnbridge processes and delivers every event of the run after the load")
                .containsPattern("backlog \\(stored, not yet processed / delivered\\): largest during the load [\\d,]+ events / [\\d,]+ deliveries;"
                        + " at its end [\\d,]+ / [\\d,]+; all processed and delivered [\\d.]+ s after the load ended");
        assertThat(output).doesNotContain("PROBLEM", "MISMATCH");
    }

    @Test
    void floorRefusesAWrongSignatureAndStoresNothing() throws Exception {
        String secret = SignedEvents.newSecret();
        SignedEvents forged = new SignedEvents(SignedEvents.newSecret(), "forged");
        SignedEvents.Request r = forged.request(1, Instant.now());
        try (WebhookServer.Running floor = new FloorWebhookServer(dir, null, null, null, false).start(1, secret)) {
            HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(floor.url())
                    .header("webhook-id", r.id()).header("webhook-timestamp", Long.toString(r.timestamp()))
                    .header("webhook-signature", r.signature()).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(r.body())).build(), HttpResponse.BodyHandlers.ofString());

            assertThat(response.statusCode()).isEqualTo(401);
            assertThat(floor.stored(forged.idPrefix())).isZero();
        }
    }

    @Test
    void zeroRateIsAUsageError() {
        assertThat(BenchCli.execute("benchmark-webhooks", "--rate", "0", "--dir", dir.toString())).isEqualTo(2);
    }

    private static String runCli(String... args) {
        PrintStream original = System.out;
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        int exit;
        try (PrintStream capture = new PrintStream(buffer, true, StandardCharsets.UTF_8)) {
            System.setOut(capture);
            exit = BenchCli.execute(args);
        } finally {
            System.setOut(original);
        }
        String output = buffer.toString(StandardCharsets.UTF_8);
        assertThat(exit).as("exit code; output:%n%s", output).isZero();
        return output;
    }
}
