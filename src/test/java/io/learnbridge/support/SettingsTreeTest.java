package io.learnbridge.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.io.Reader;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The one declaration of the settings (#13 item 7): types, defaults, refusals, and the embedded defaults kept equal to it. */
class SettingsTreeTest {

    private static SettingValues values(Map<String, String> set) {
        return SettingValues.read(key -> Optional.ofNullable(set.get(key)), set.keySet());
    }

    @Test
    void theEmbeddedDefaultsAreTheDeclaredOnesAndEveryKeyInThemIsDeclared() throws Exception {
        Properties embedded = new Properties();
        try (Reader reader = Files.newBufferedReader(Path.of("src/main/resources/application.properties"))) {
            embedded.load(reader);
        }
        for (String key : embedded.stringPropertyNames()) {
            if (key.startsWith("learnbridge.")) {
                Setting setting = SettingsTree.definition(key).orElse(null);
                assertThat(setting).as(key + " of application.properties is declared in SettingsTree").isNotNull();
                if (setting.defaultValue() != null) {
                    assertThat(embedded.getProperty(key).strip()).as(key + " in application.properties is its declared default").isEqualTo(setting.defaultValue());
                }
            }
        }
        Set<String> undeclaredInFile = new TreeSet<>();
        SettingsTree.all().stream().filter(s -> !s.perName() && s.defaultValue() != null).map(Setting::key)
                .filter(k -> !embedded.containsKey(k)).forEach(undeclaredInFile::add);
        assertThat(undeclaredInFile).as("declared defaults missing from application.properties (route placeholders resolve them there)").isEmpty();
    }

    @Test
    void eachKeyIsDeclaredOnceAndEveryDeclaredDefaultIsAValidValue() {
        List<String> keys = SettingsTree.all().stream().map(Setting::key).toList();
        assertThat(keys).doesNotHaveDuplicates().allMatch(k -> k.startsWith("learnbridge."));
        for (Setting s : SettingsTree.all()) {
            if (s.defaultValue() != null && !s.defaultValue().isEmpty()) {
                assertThat(s.parse(s.key(), s.defaultValue())).as(s.key()).isNotNull();
            }
        }
    }

    @Test
    void valuesAreTypedFromTheSettingOrElseTheDeclaredDefault() {
        SettingValues v = values(Map.of("learnbridge.store.poolSize", " 12 ", "learnbridge.sources.hris.snapshot", "FULL",
                "learnbridge.sources.hris.targets", "lms, lrs", "learnbridge.targets.lrs.changes", "JOIN,leave",
                "learnbridge.alerts.webhookUrl", "https://alerts.example.com/hook", "learnbridge.targets.lms.gate.maxChanges", "40"));
        assertThat(v.integer("learnbridge.store.poolSize")).isEqualTo(12);
        assertThat(v.integer("learnbridge.drops.batchSize")).isEqualTo(500);
        assertThat(v.duration("learnbridge.delivery.retryBudget")).isEqualTo(Duration.ofMinutes(10));
        assertThat(v.duration("learnbridge.delivery.pollPeriod")).isEqualTo(Duration.ofMillis(200));
        assertThat(v.bool("learnbridge.enrolments.enabled")).isTrue();
        assertThat(v.text("learnbridge.store.user")).isEqualTo("sa");
        assertThat(v.optionalText("learnbridge.instanceId")).as("empty default: the host name, chosen by the caller").isEmpty();
        assertThat(v.url("learnbridge.alerts.webhookUrl")).contains(URI.create("https://alerts.example.com/hook"));
        assertThat(v.source("hris").choice("snapshot")).isEqualTo("full");
        assertThat(v.source("hris").choice("leaveOfAbsence")).isEqualTo("active");
        assertThat(v.source("hris").list("targets")).containsExactly("lms", "lrs");
        assertThat(v.source("hr-events").duration("webhook.tolerance")).isEqualTo(Duration.ofMinutes(5));
        assertThat(v.source("hr-events").optionalText("webhook.eventIdPointer")).isEmpty();
        assertThat(v.target("lrs").list("changes")).containsExactly("JOIN", "LEAVE");
        assertThat(v.target("lms").list("changes")).as("unset: every kind").isEmpty();
        assertThat(v.target("lms").integer("rateLimit")).isZero();
        assertThat(v.target("lms").optionalInteger("gate.maxChanges")).contains(40);
        assertThat(v.source("hris").optionalInteger("gate.maxChanges")).as("a source's own gate limit has no default: the global one applies").isEmpty();
        assertThatThrownBy(() -> v.source("hr-events").text("webhook.verifier"))
                .hasMessage("setting learnbridge.sources.hr-events.webhook.verifier: missing: a text");
    }

    @Test
    void aSettingIsSecretByItsDeclaredTypeAndAKeyOnlyARouteNamesByItsName() {
        assertThat(KnownSettings.isSecret("learnbridge.targets.lms.oauth2.clientSecret")).isTrue();
        assertThat(KnownSettings.isSecret("learnbridge.targets.moodle.token")).isTrue();
        assertThat(KnownSettings.isSecret("learnbridge.sources.hris.webhook.secrets")).isTrue();
        assertThat(KnownSettings.isSecret("learnbridge.store.password")).isTrue();
        // a URL whose name says "token", declared as a URL: not masked, shown where it is wrong
        assertThat(KnownSettings.isSecret("learnbridge.targets.lms.oauth2.tokenEndpoint")).isFalse();
        assertThat(KnownSettings.isSecret("learnbridge.targets.lms.url")).isFalse();
        // not declared: a route of the operator's own names it
        assertThat(KnownSettings.isSecret("learnbridge.partner.apiToken")).isTrue();
        assertThat(KnownSettings.isSecret("learnbridge.partner.region")).isFalse();
        // environment variables, by the setting they name
        assertThat(KnownSettings.isSecretVariable("LEARNBRIDGE_TARGETS_LMS_OAUTH2_CLIENTSECRET")).isTrue();
        assertThat(KnownSettings.isSecretVariable("LEARNBRIDGE_TARGETS_LMS_OAUTH2_TOKENENDPOINT")).isFalse();
        assertThat(KnownSettings.isSecretVariable("LEARNBRIDGE_TARGETS_MOODLE_TOKEN")).isTrue();
        assertThat(KnownSettings.isSecretVariable("LEARNBRIDGE_SOURCES_HR_EVENTS_WEBHOOK_SECRETS")).isTrue();
        assertThat(KnownSettings.isSecretVariable("LEARNBRIDGE_STORE_PASSWORD")).isTrue();
        assertThat(KnownSettings.isSecretVariable("LEARNBRIDGE_STORE_URL")).isFalse();
        assertThat(KnownSettings.isSecretVariable("LEARNBRIDGE_PARTNER_APITOKEN")).as("named by no declaration: by its name").isTrue();
    }

    @Test
    void aBadValueRefusesStartupNamingTheKeyTheValueAndWhatWasExpected() {
        assertThatThrownBy(() -> values(Map.of("learnbridge.store.poolSize", "ten")))
                .isInstanceOf(SettingsException.class).hasMessage("setting learnbridge.store.poolSize: must be a whole number, found 'ten'");
        assertThatThrownBy(() -> values(Map.of("learnbridge.store.poolSize", "500")))
                .hasMessage("setting learnbridge.store.poolSize: must be between 2 and 200, found 500");
        assertThatThrownBy(() -> values(Map.of("learnbridge.enrolments.enabled", "yes")))
                .hasMessage("setting learnbridge.enrolments.enabled: must be true or false, found 'yes'");
        assertThatThrownBy(() -> values(Map.of("learnbridge.sources.hris.snapshot", "weekly")))
                .hasMessage("setting learnbridge.sources.hris.snapshot: must be full or delta, found 'weekly'");
        assertThatThrownBy(() -> values(Map.of("learnbridge.targets.lrs.changes", "JOIN,HIRE")))
                .hasMessage("setting learnbridge.targets.lrs.changes: must be one of JOIN, MOVE, UPDATE, LEAVE, found 'HIRE'");
        assertThatThrownBy(() -> values(Map.of("learnbridge.alerts.webhookUrl", "not a url")))
                .hasMessage("setting learnbridge.alerts.webhookUrl: must be a URL such as https://host/path, found 'not a url'");
        assertThatThrownBy(() -> values(Map.of("learnbridge.events.lease", "0s")))
                .hasMessage("setting learnbridge.events.lease: must be more than zero, found '0s'");
        assertThatThrownBy(() -> values(Map.of("learnbridge.targets.lms.gate.maxChangePercent", "150")))
                .hasMessage("setting learnbridge.targets.lms.gate.maxChangePercent: must be between 0 and 100, found 150");
        assertThatThrownBy(() -> SettingValues.read(k -> Optional.ofNullable(k.equals("learnbridge.sources.hris.snapshot") ? "weekly" : null),
                Set.of("learnbridge.sources.hris.directory"))).as("a source's value from the environment only is checked too")
                .hasMessage("setting learnbridge.sources.hris.snapshot: must be full or delta, found 'weekly'");
        Map<String, String> two = new HashMap<>(Map.of("learnbridge.drops.batchSize", "0", "learnbridge.delivery.retryBudget", "ten minutes"));
        assertThatThrownBy(() -> values(two)).as("every problem at once, each naming its key, in the declaration's order")
                .hasMessage("setting learnbridge.drops.batchSize: must be between 1 and 100000, found 0; "
                        + "setting learnbridge.delivery.retryBudget: must be a duration such as 10s, 5m or PT10M, found 'ten minutes'");
    }

    @Test
    void aBareNumberInAnOlderTimeSettingIsReadInItsOldUnitWithAWarning() {
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        log.start();
        Logger durations = (Logger) LoggerFactory.getLogger(Durations.class);
        durations.addAppender(log);
        try {
            SettingValues v = values(Map.of("learnbridge.store.compactPeriod", "45000"));
            assertThat(v.duration("learnbridge.store.compactPeriod")).isEqualTo(Duration.ofSeconds(45));
        } finally {
            durations.detachAppender(log);
        }
        assertThat(log.list).extracting(ILoggingEvent::getFormattedMessage).containsExactly(
                "Setting learnbridge.store.compactPeriod = 45000: a bare number is read as milliseconds (the older form); write 45s instead");
        assertThatThrownBy(() -> values(Map.of("learnbridge.drops.retention", "7")))
                .hasMessage("setting learnbridge.drops.retention: must be a duration such as 10s, 5m or PT10M (a bare number has no unit), found '7'");
    }

    @Test
    void anUnknownKeyIsRefusedNamingTheNearestDeclaredOne() {
        KnownSettings known = KnownSettings.of(List.of());
        assertThat(known.problems(Map.of("learnbridge.store.poolSise", "10", "learnbridge.targets.lms.rateLimt", "5"), name -> null)).containsExactly(
                "setting learnbridge.store.poolSise is not a LearnBridge setting: did you mean learnbridge.store.poolSize?",
                "setting learnbridge.targets.lms.rateLimt is not a LearnBridge setting: did you mean learnbridge.targets.lms.rateLimit?");
        assertThat(known.known("learnbridge.sources.hris.gate.requireApproval")).isTrue();
        assertThat(known.known("learnbridge.targets.lms.parallelism")).isTrue();
        assertThat(SettingsTree.definition("learnbridge.targets.lms.gate.maxChanges")).map(Setting::key).contains("learnbridge.gate.maxChanges");
        assertThat(SettingsTree.definition("learnbridge.targets.lms.colour")).isEmpty();
    }

    @Test
    void theTableHasOneLinePerRowOfTheDeclaration() {
        String table = SettingsTable.markdown();
        assertThat(table.lines()).hasSize(SettingsTree.ROWS.size() + 2);
        assertThat(table).contains("| `learnbridge.sources.<source>.kafka.topic`, `.brokers`, `.groupId` | — |")
                .contains("| `learnbridge.sources.<source>.gate.*`, `learnbridge.targets.<target>.gate.*` | — |")
                .contains("| `learnbridge.instanceId` | host name |")
                .contains("| `learnbridge.api.token` | (empty) |");
    }
}
