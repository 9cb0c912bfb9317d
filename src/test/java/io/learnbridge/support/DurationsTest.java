package io.learnbridge.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.learnbridge.testing.Bridge;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One duration syntax for every time setting (#13 item 7, in part). */
class DurationsTest {

    @TempDir
    Path home;

    @Test
    void isoAndTheShortFormAreReadForEveryTimeSetting() {
        assertThat(Durations.parse("learnbridge.delivery.retryBudget", "PT10M")).isEqualTo(Duration.ofMinutes(10));
        assertThat(Durations.parse("learnbridge.delivery.retryBudget", "10m")).isEqualTo(Duration.ofMinutes(10));
        assertThat(Durations.parse("learnbridge.drops.retention", "7d")).isEqualTo(Duration.ofDays(7));
        assertThat(Durations.parse("learnbridge.delivery.pollPeriod", "200ms")).isEqualTo(Duration.ofMillis(200));
        assertThat(Durations.parse("learnbridge.http.bodyTimeout", "1m30s")).isEqualTo(Duration.ofSeconds(90));
        assertThat(Durations.parse("learnbridge.http.bodyTimeout", " 2h ")).isEqualTo(Duration.ofHours(2));
    }

    @Test
    void aBareNumberIsTheOlderFormInItsOldUnitAndNothingElse() {
        assertThat(Durations.parse("learnbridge.delivery.pollPeriod", "200")).isEqualTo(Duration.ofMillis(200));
        assertThat(Durations.parse("learnbridge.delivery.breaker.openSeconds", "30")).isEqualTo(Duration.ofSeconds(30));
        assertThatThrownBy(() -> Durations.parse("learnbridge.delivery.retryBudget", "600"))
                .hasMessage("setting learnbridge.delivery.retryBudget: must be a duration such as 10s, 5m or PT10M (a bare number has no unit), found '600'");
        assertThatThrownBy(() -> Durations.parse("learnbridge.delivery.retryBudget", "10 minutes"))
                .hasMessage("setting learnbridge.delivery.retryBudget: must be a duration such as 10s, 5m or PT10M, found '10 minutes'");
        assertThatThrownBy(() -> Durations.positive("learnbridge.delivery.lease", "0s")).hasMessageContaining("must be more than zero");
        assertThat(Durations.shortForm(Duration.ofMillis(90_250))).isEqualTo("1m30s250ms");
    }

    @Test
    void camelIsGivenMillisecondsWhateverTheForm() {
        Map<String, String> settings = Map.of("learnbridge.delivery.pollPeriod", "PT0.25S", "learnbridge.drops.pollDelay", "2s",
                "learnbridge.drops.readLockTimeout", "60000", "learnbridge.delivery.retryBudget", "PT10M");
        assertThat(Durations.forCamel(k -> Optional.ofNullable(settings.get(k)))).containsExactlyInAnyOrderEntriesOf(Map.of(
                "learnbridge.delivery.pollPeriod", "250", "learnbridge.drops.pollDelay", "2000", "learnbridge.drops.readLockTimeout", "60000"));
        assertThatThrownBy(() -> Durations.forCamel(k -> Optional.ofNullable(k.equals("learnbridge.drops.readLockTimeout") ? "0s" : null)))
                .hasMessage("setting learnbridge.drops.readLockTimeout: must be more than zero, found '0s'");
    }

    /** Camel alone reads PT0.2S as 0: the delivery timer would have fired without pause. Through the bridge it is 200 ms. */
    @Test
    void aRunningBridgeTimesItsRoutesFromAnIsoSetting() throws Exception {
        try (Bridge bridge = Bridge.builder(home).property("learnbridge.delivery.pollPeriod", "PT0.2S")
                .property("learnbridge.drops.pollDelay", "1s").start()) {
            var timer = bridge.context().getRoute("deliver-lms").getEndpoint();
            assertThat(timer.getEndpointUri()).contains("period=200");
            var folder = bridge.context().getRoute("source-hris").getEndpoint();
            assertThat(folder.getEndpointUri()).contains("delay=1000");
        }
    }
}
