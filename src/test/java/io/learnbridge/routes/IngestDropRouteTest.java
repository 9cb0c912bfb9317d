package io.learnbridge.routes;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.apache.camel.Exchange;
import org.apache.camel.builder.AdviceWith;
import org.apache.camel.component.mock.MockEndpoint;
import org.junit.jupiter.api.Test;

/**
 * {@code routes/ingest-drop.camel.yaml}: claim, then skip a duplicate, resume a drop that was
 * applying, or open, map and stage its batches in order; finish; quarantine with an alert; and
 * settled in every case, so the file may be archived.
 */
class IngestDropRouteTest extends RouteFileTestSupport {

    /** What {@code drops.claim} answers, as the route reads it ({@code duplicate}, {@code applying}, {@code dropId}). */
    public record Claim(long dropId, boolean duplicate, boolean applying) {
    }

    /** What {@code drops.finish} answers ({@code quarantined}). */
    public record Finished(boolean quarantined) {
    }

    /** Stands in for bean {@code drops}: records the calls the route makes, answers what the test set. */
    public static final class Drops {
        final List<String> calls = new ArrayList<>();
        Claim claim = new Claim(7, false, false);
        List<String> batches = List.of("rows 1-500", "rows 501-1000", "rows 1001-1200");
        boolean quarantine;

        public Claim claim() {
            calls.add("claim");
            return claim;
        }

        public List<String> open() {
            calls.add("open");
            return batches;
        }

        public void stage(String batch) {
            calls.add("stage " + batch);
        }

        public Finished finish() {
            calls.add("finish");
            return new Finished(quarantine);
        }

        /** The drop-errors policy records a drop that cannot be read as a whole. */
        public void fail(Exchange exchange) {
            calls.add("fail " + exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class).getMessage());
        }

        /** The quarantine notification's body (route drop-quarantined-alert). */
        public String alert() {
            return "{}";
        }
    }

    private final Drops drops = new Drops();

    IngestDropRouteTest() {
        super("ingest-drop.camel.yaml");
    }

    @Override
    protected java.util.Map<String, Object> beans() {
        return java.util.Map.of("drops", drops);
    }

    private Exchange ingest() throws Exception {
        AdviceWith.adviceWith(context, "ingest-drop", a -> a.weaveById("map-batch").replace().to("mock:map"));
        AdviceWith.adviceWith(context, "drop-quarantined-alert", a -> a.replaceFromWith("direct:alert-advised"));
        AdviceWith.adviceWith(context, "ingest-drop", a -> a.weaveById("alert-quarantined-drop").replace().to("mock:alert"));
        context.start();
        MockEndpoint map = getMockEndpoint("mock:map");
        map.whenAnyExchangeReceived(e -> e.getIn().setBody("mapped " + e.getIn().getBody(String.class)));
        return template.request("direct:ingest-drop", e -> e.setVariable("source", "hris"));
    }

    @Test
    void aNewDropIsOpenedMappedAndStagedBatchByBatchInOrderThenFinishedAndSettled() throws Exception {
        Exchange done = ingest();

        assertThat(drops.calls).containsExactly("claim", "open", "stage mapped rows 1-500", "stage mapped rows 501-1000",
                "stage mapped rows 1001-1200", "finish");
        assertThat(getMockEndpoint("mock:map").getReceivedCounter()).isEqualTo(3);
        assertThat(done.getVariable("dropSettled", String.class)).isEqualTo("true");
        assertThat(done.getVariable("dropFolder")).as("left to the source route (.done)").isNull();
        assertThat(getMockEndpoint("mock:alert").getReceivedCounter()).isZero();
    }

    @Test
    void aDuplicateDropIsNeitherStagedNorFinishedAndGoesToTheDuplicateFolder() throws Exception {
        drops.claim = new Claim(7, true, false);

        Exchange done = ingest();

        assertThat(drops.calls).containsExactly("claim");
        assertThat(done.getVariable("dropFolder", String.class)).isEqualTo(".duplicate");
        assertThat(done.getVariable("dropSettled", String.class)).isEqualTo("true");
    }

    @Test
    void aDropStoppedWhileApplyingIsNotStagedAgainOnlyFinished() throws Exception {
        drops.claim = new Claim(7, false, true);

        Exchange done = ingest();

        assertThat(done.getException()).isNull();
        assertThat(drops.calls).containsExactly("claim", "finish");
        assertThat(getMockEndpoint("mock:map").getReceivedCounter()).isZero();
    }

    @Test
    void aDropThatCannotBeReadAsAWholeIsRecordedAsFailedAndSettledIntoTheFailedFolder() throws Exception {
        drops.batches = List.of("rows 1-500", "BAD");
        AdviceWith.adviceWith(context, "ingest-drop", a -> a.weaveById("stage-batch").before().process(e -> {
            if (e.getIn().getBody(String.class).endsWith("BAD")) {
                throw new io.learnbridge.drop.DropFormatException("workers.csv", 501, "bytes invalid in UTF-8");
            }
        }));

        Exchange done = ingest();

        assertThat(drops.calls).containsExactly("claim", "open", "stage mapped rows 1-500", "fail workers.csv:501: bytes invalid in UTF-8");
        assertThat(done.getException()).as("handled by drop-errors").isNull();
        assertThat(done.getVariable("dropFolder", String.class)).isEqualTo(".failed");
        assertThat(done.getVariable("dropSettled", String.class)).isEqualTo("true");
    }

    @Test
    void aQuarantinedDropGoesToTheQuarantineFolderAndRaisesTheAlert() throws Exception {
        drops.quarantine = true;

        Exchange done = ingest();

        assertThat(done.getVariable("dropFolder", String.class)).isEqualTo(".quarantined");
        getMockEndpoint("mock:alert").expectedMessageCount(1);
        getMockEndpoint("mock:alert").assertIsSatisfied(5000);
    }
}
