package io.learnbridge.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proves {@link SftpServer} against Camel's real {@code sftp:} consumer (JSch) with strict host key
 * checking and public-key authentication, including the three ways a connection must be refused.
 */
final class SftpServerTest {

    private static final String FILE = "people.csv";
    private static final String CONTENT = "id,name\n1,Ada Lovelace\n";
    private static final Duration PATIENCE = Duration.ofSeconds(10);

    @TempDir
    Path work;

    private SftpServer sftp;
    private DefaultCamelContext camel;
    private Path inbox;

    @BeforeEach
    void startServerWithAFileWaiting() throws Exception {
        sftp = SftpServer.start(work);
        inbox = sftp.dir("inbox");
        Files.writeString(inbox.resolve(FILE), CONTENT, StandardCharsets.UTF_8);
    }

    @AfterEach
    void stopEverything() {
        if (camel != null) {
            camel.stop();
        }
        sftp.close();
    }

    @Test
    void camelReadsAndMovesAFileWithTheAuthorisedKeyAndKnownHost() throws Exception {
        startRoute(keyAuth(sftp.privateKeyFile()), sftp.knownHostsFile());

        MockEndpoint received = mock("mock:received");
        received.expectedBodiesReceived(CONTENT);
        received.assertIsSatisfied(PATIENCE.toMillis());

        await().atMost(PATIENCE).untilAsserted(() -> assertThat(inbox.resolve(".done").resolve(FILE)).exists());
        assertThat(inbox.resolve(FILE)).doesNotExist();
        assertThat(inbox.resolve(".done").resolve(FILE)).hasContent(CONTENT);
        assertThat(sftp.logins()).isPositive();
        assertThat(sftp.failedAuthentications()).isZero();
        assertThat(mock("mock:errors").getReceivedCounter()).isZero();
    }

    @Test
    void camelRefusesAServerWhoseHostKeyChanged() throws Exception {
        sftp.changeHostKey();

        startRoute(keyAuth(sftp.privateKeyFile()), sftp.knownHostsFile());

        assertNothingReadBecause("HostKey has been changed");
        assertThat(sftp.logins()).isZero();
        assertThat(sftp.failedAuthentications()).isZero();
    }

    @Test
    void camelRefusesAServerMissingFromKnownHosts() throws Exception {
        startRoute(keyAuth(sftp.privateKeyFile()), sftp.writeKnownHostsForUnknownHost());

        assertNothingReadBecause("reject HostKey");
        assertThat(sftp.logins()).isZero();
        assertThat(sftp.failedAuthentications()).isZero();
    }

    @Test
    void serverRefusesAnUnauthorisedKey() throws Exception {
        startRoute(keyAuth(sftp.wrongPrivateKeyFile()), sftp.knownHostsFile());

        assertNothingReadBecause("Auth fail");
        assertThat(sftp.logins()).isZero();
        assertThat(sftp.failedAuthentications()).isPositive();
    }

    @Test
    void serverRefusesPasswordAuthentication() throws Exception {
        startRoute("password=secret", sftp.knownHostsFile());

        assertNothingReadBecause("Auth fail for methods 'publickey'");
        assertThat(sftp.logins()).isZero();
    }

    /**
     * Waits for two failed polls (so the consumer really tried, twice), then checks why they failed and
     * that the file was neither delivered nor moved.
     */
    private void assertNothingReadBecause(String reason) {
        MockEndpoint errors = mock("mock:errors");
        await().atMost(PATIENCE).until(() -> errors.getReceivedCounter() >= 2);

        assertThat(causeMessages(errors.getReceivedExchanges().get(0))).anySatisfy(
                message -> assertThat(message).contains(reason));
        assertThat(sftp.connections()).isGreaterThanOrEqualTo(2);
        assertThat(mock("mock:received").getReceivedCounter()).isZero();
        assertThat(inbox.resolve(FILE)).hasContent(CONTENT);
        assertThat(inbox.resolve(".done").resolve(FILE)).doesNotExist();
    }

    private static String keyAuth(Path privateKey) {
        return "privateKeyFile=" + privateKey;
    }

    /** @param auth the credential query parameter, e.g. {@code privateKeyFile=/path} or {@code password=x} */
    private void startRoute(String auth, Path knownHosts) throws Exception {
        String uri = "sftp://" + sftp.user() + "@" + sftp.host() + ":" + sftp.port() + "/inbox"
                + "?" + auth
                + "&knownHostsFile=" + knownHosts
                + "&useUserKnownHostsFile=false"
                + "&strictHostKeyChecking=yes"
                + "&throwExceptionOnConnectFailed=true"
                + "&maximumReconnectAttempts=0"
                + "&bridgeErrorHandler=true"
                + "&delay=200"
                + "&move=.done";
        camel = new DefaultCamelContext();
        camel.getShutdownStrategy().setTimeout(5);
        camel.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                onException(Exception.class).handled(true).to("mock:errors");
                from(uri).routeId("sftp-inbox").convertBodyTo(String.class).to("mock:received");
            }
        });
        camel.start();
    }

    private MockEndpoint mock(String uri) {
        return camel.getEndpoint(uri, MockEndpoint.class);
    }

    private static List<String> causeMessages(Exchange failed) {
        List<String> messages = new ArrayList<>();
        for (Throwable t = failed.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class); t != null;
                t = t.getCause()) {
            messages.add(String.valueOf(t.getMessage()));
        }
        return messages;
    }
}
