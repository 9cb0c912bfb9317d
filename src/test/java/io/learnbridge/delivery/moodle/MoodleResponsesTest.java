package io.learnbridge.delivery.moodle;

import static org.assertj.core.api.Assertions.assertThat;

import io.learnbridge.delivery.moodle.MoodleResponses.Answer;
import io.learnbridge.delivery.moodle.MoodleResponses.Failure;
import io.learnbridge.delivery.moodle.MoodleResponses.Result;
import io.learnbridge.delivery.moodle.MoodleResponses.Severity;
import io.learnbridge.delivery.moodle.MoodleResponses.Warning;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import org.junit.jupiter.api.Test;

/**
 * The classification table of {@link MoodleResponses}, with the shapes Moodle's REST server
 * answers: errors as HTTP 200 with {@code exception/errorcode/message[/debuginfo]}, partial
 * failures as {@code warnings}, {@code null} for functions that return nothing, lists.
 */
class MoodleResponsesTest {

    @Test
    void anInvalidTokenAnsweredWith200IsAConfigurationFailureNotASuccess() {
        Answer answer = MoodleResponses.classify(200,
                "{\"exception\":\"moodle_exception\",\"errorcode\":\"invalidtoken\",\"message\":\"Invalid token - token not found\"}");

        assertThat(answer).isInstanceOfSatisfying(Failure.class, f -> {
            assertThat(f.severity()).isEqualTo(Severity.CONFIGURATION);
            assertThat(f.errorcode()).isEqualTo("invalidtoken");
            assertThat(f.httpStatus()).isEqualTo(200);
            assertThat(f.reason()).isEqualTo("Moodle refused (invalidtoken): Invalid token - token not found");
            assertThat(f.excerpt()).contains("\"errorcode\":\"invalidtoken\"");
        });
    }

    @Test
    void errorsOfTheSitesWebServiceSetUpAreConfigurationFailures() {
        for (String code : new String[] {"accessexception", "servicerequireslogin", "webservicesdisabled", "nopermissions", "invalidtimedtoken"}) {
            assertThat(severity(200, exception("webservice_access_exception", code, "Access control exception")))
                    .as(code).isEqualTo(Severity.CONFIGURATION);
        }
        // a function that is not on the site (not in the service, or an older Moodle)
        assertThat(severity(200, exception("dml_missing_record_exception", "invalidrecord",
                "Can't find data record in database table external_functions."))).isEqualTo(Severity.CONFIGURATION);
    }

    @Test
    void aRefusedRecordIsARecordFailureWithMoodlesDetail() {
        Answer taken = MoodleResponses.classify(200, "{\"exception\":\"invalid_parameter_exception\",\"errorcode\":\"invalidparameter\","
                + "\"message\":\"Invalid parameter value detected\",\"debuginfo\":\"Username already exists: ada@example.com\"}");

        assertThat(taken).isInstanceOfSatisfying(Failure.class, f -> {
            assertThat(f.severity()).isEqualTo(Severity.RECORD);
            assertThat(f.errorcode()).isEqualTo("invalidparameter");
            assertThat(f.reason()).isEqualTo("Moodle refused (invalidparameter): Invalid parameter value detected (Username already exists: ada@example.com)");
        });
        assertThat(severity(200, exception("invalid_parameter_exception", "invalidparameter", "Invalid parameter value detected")))
                .as("without debugging, Moodle leaves the detail out").isEqualTo(Severity.RECORD);
        assertThat(severity(200, exception("moodle_exception", "usernameexists", "Username already exists"))).isEqualTo(Severity.RECORD);
        assertThat(severity(200, exception("dml_missing_record_exception", "invalidrecord", "Can't find data record in database table cohort.")))
                .isEqualTo(Severity.RECORD);
        assertThat(severity(200, exception("moodle_exception", "somethingnew", "A code this table does not know")))
                .as("an unknown error stops at the record and reaches a human").isEqualTo(Severity.RECORD);
    }

    @Test
    void databaseErrorsAreTransientAndAnUnreachableOrBusySiteIsUnavailable() {
        assertThat(severity(200, exception("dml_write_exception", "dmlwriteexception", "Error writing to database"))).isEqualTo(Severity.TRANSIENT);
        assertThat(severity(200, exception("dml_read_exception", "dmlreadexception", "Error reading from database"))).isEqualTo(Severity.TRANSIENT);
        assertThat(severity(200, exception("moodle_exception", "sitemaintenance", "The site is undergoing maintenance"))).isEqualTo(Severity.UNAVAILABLE);
        assertThat(severity(503, "<html>Service Unavailable</html>")).isEqualTo(Severity.UNAVAILABLE);
        assertThat(severity(500, "")).isEqualTo(Severity.UNAVAILABLE);
        assertThat(severity(429, "")).isEqualTo(Severity.UNAVAILABLE);
        assertThat(MoodleResponses.unreachable(new ConnectException("Connection refused"))).satisfies(f -> {
            assertThat(f.severity()).isEqualTo(Severity.UNAVAILABLE);
            assertThat(f.errorcode()).isEqualTo("io");
            assertThat(f.httpStatus()).isNull();
        });
        assertThat(MoodleResponses.unreachable(new SocketTimeoutException("Read timed out")).reason()).contains("Read timed out");
    }

    @Test
    void httpRefusalsAndAnswersThatAreNotMoodlesAreConfigurationFailures() {
        assertThat(MoodleResponses.classify(403, "")).isInstanceOfSatisfying(Failure.class, f -> {
            assertThat(f.severity()).isEqualTo(Severity.CONFIGURATION);
            assertThat(f.reason()).contains("REST protocol");
        });
        assertThat(severity(404, "Not found")).isEqualTo(Severity.CONFIGURATION);
        assertThat(MoodleResponses.classify(200, "<!DOCTYPE html><html><body>Log in to the site</body></html>"))
                .isInstanceOfSatisfying(Failure.class, f -> {
                    assertThat(f.severity()).isEqualTo(Severity.CONFIGURATION);
                    assertThat(f.errorcode()).isEqualTo("notjson");
                });
    }

    @Test
    void nullAListAndAnObjectAreResults() {
        assertThat(MoodleResponses.classify(200, "null")).isInstanceOfSatisfying(Result.class, r -> {
            assertThat(r.value().isNull()).isTrue();
            assertThat(r.warnings()).isEmpty();
        });
        assertThat(MoodleResponses.classify(200, "[{\"id\":12,\"username\":\"ada@example.com\"}]")).isInstanceOfSatisfying(Result.class, r -> {
            assertThat(r.value().get(0).path("id").asLong()).isEqualTo(12);
            assertThat(r.warnings()).isEmpty();
        });
        assertThat(MoodleResponses.classify(200, "{\"cohorts\":[],\"warnings\":[]}")).isInstanceOfSatisfying(Result.class,
                r -> assertThat(r.warnings()).isEmpty());
    }

    @Test
    void warningsAreReadPerItemAndAWarnedItemIsARecordFailureWithTheWarningMessage() {
        Answer answer = MoodleResponses.classify(200, "{\"warnings\":[{\"item\":\"user\",\"itemid\":7,\"warningcode\":\"useremailduplicate\","
                + "\"message\":\"Duplicate email address: ada@example.com\"}]}");

        assertThat(answer).isInstanceOfSatisfying(Result.class, r -> {
            assertThat(r.warnings()).containsExactly(new Warning("user", "7", "useremailduplicate", "Duplicate email address: ada@example.com"));
            assertThat(MoodleResponses.failure(r.warnings().get(0))).hasValueSatisfying(f -> {
                assertThat(f.severity()).isEqualTo(Severity.RECORD);
                assertThat(f.errorcode()).isEqualTo("warning:useremailduplicate");
                assertThat(f.reason()).isEqualTo("Moodle warned (useremailduplicate): Duplicate email address: ada@example.com");
            });
        });
    }

    @Test
    void aMembershipThatExistsAlreadyIsARepeatNotAFailureButAMissingUserIs() {
        // core_cohort_add_cohort_members' warnings carry no item: code and message only
        Warning repeat = new Warning(null, null, "3", "record already exists: cohort(idnumber=org-Sales id=12)");
        Warning missing = new Warning(null, null, "2", "user id=12 not exists");

        assertThat(MoodleResponses.failure(repeat)).isEmpty();
        assertThat(MoodleResponses.failure(missing)).hasValueSatisfying(f -> assertThat(f.severity()).isEqualTo(Severity.RECORD));
    }

    @Test
    void onlyUnavailableAndTransientAreRetriedAndOnlyUnavailableAndConfigurationConcernTheWholeSite() {
        assertThat(Severity.UNAVAILABLE.retryable()).isTrue();
        assertThat(Severity.TRANSIENT.retryable()).isTrue();
        assertThat(Severity.CONFIGURATION.retryable()).isFalse();
        assertThat(Severity.RECORD.retryable()).isFalse();
        assertThat(Severity.UNAVAILABLE.siteWide()).isTrue();
        assertThat(Severity.CONFIGURATION.siteWide()).isTrue();
        assertThat(Severity.TRANSIENT.siteWide()).isFalse();
        assertThat(Severity.RECORD.siteWide()).isFalse();
    }

    private static Severity severity(int status, String body) {
        Answer answer = MoodleResponses.classify(status, body);
        assertThat(answer).isInstanceOf(Failure.class);
        return ((Failure) answer).severity();
    }

    private static String exception(String exception, String errorcode, String message) {
        return "{\"exception\":\"" + exception + "\",\"errorcode\":\"" + errorcode + "\",\"message\":\"" + message + "\"}";
    }
}
