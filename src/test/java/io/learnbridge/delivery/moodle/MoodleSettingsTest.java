package io.learnbridge.delivery.moodle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.learnbridge.support.SettingsException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A Moodle target's settings are checked when it first delivers, failing with the key's name. */
class MoodleSettingsTest {

    private final Map<String, String> settings = new HashMap<>(Map.of(
            "learnbridge.targets.moodle.url", "https://moodle.example.com",
            "learnbridge.targets.moodle.token", "secret"));

    @Test
    void aMissingUrlOrTokenIsNamed() {
        settings.remove("learnbridge.targets.moodle.token");
        assertThatThrownBy(this::deliver).isInstanceOfSatisfying(SettingsException.class, e -> {
            assertThat(e.key()).isEqualTo("learnbridge.targets.moodle.token");
            assertThat(e.getMessage()).contains("from the environment");
        });
        settings.remove("learnbridge.targets.moodle.url");
        assertThatThrownBy(this::deliver).isInstanceOfSatisfying(SettingsException.class,
                e -> assertThat(e.key()).isEqualTo("learnbridge.targets.moodle.url"));
    }

    @Test
    void aUrlThatIsNotASiteAnAuthThatIsNotAPluginNameAndABatchOutOfRangeAreRefused() {
        settings.put("learnbridge.targets.moodle.url", "moodle.example.com");
        assertThatThrownBy(this::deliver).isInstanceOfSatisfying(SettingsException.class,
                e -> assertThat(e.key()).isEqualTo("learnbridge.targets.moodle.url"));
        settings.put("learnbridge.targets.moodle.url", "https://moodle.example.com");
        settings.put("learnbridge.targets.moodle.auth", "OAuth 2");
        assertThatThrownBy(this::deliver).isInstanceOfSatisfying(SettingsException.class,
                e -> assertThat(e.key()).isEqualTo("learnbridge.targets.moodle.auth"));
        settings.put("learnbridge.targets.moodle.auth", "oauth2");
        settings.put("learnbridge.targets.moodle.batchSize", "0");
        assertThatThrownBy(this::deliver).isInstanceOfSatisfying(SettingsException.class,
                e -> assertThat(e.key()).isEqualTo("learnbridge.targets.moodle.batchSize"));
    }

    private void deliver() {
        // the settings are read before anything is claimed: no queue, mapping or metrics needed
        new MoodleDeliveries(null, null, null, new io.learnbridge.delivery.TargetSettings(key -> Optional.ofNullable(settings.get(key))), Duration.ofMillis(100), Duration.ofSeconds(1))
                .claimDeliveries("moodle");
    }
}
