package io.learnbridge.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.learnbridge.store.DropLedger;
import io.learnbridge.store.Plans;
import java.util.List;
import java.util.function.Function;
import org.apache.camel.Exchange;
import org.apache.camel.Header;

/**
 * Bean {@code dropsApi}: a drop's plan, and the operator's decision on a quarantined drop, over
 * HTTP ({@code /api/drops/{id}/plan}, {@code /approve}, {@code /reject}); the CLI's {@code plan}
 * and {@code drops approve|reject} do the same. A decision names the drop's checksum and works
 * once.
 */
public final class DropsApi {

    private static final ObjectMapper JSON = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

    private final Plans plans;
    private final DropLedger ledger;
    private final Function<String, List<String>> targetsOf;

    public DropsApi(Plans plans, DropLedger ledger, Function<String, List<String>> targetsOf) {
        this.plans = plans;
        this.ledger = ledger;
        this.targetsOf = targetsOf;
    }

    public String plan(@Header("id") long id, @Header("limit") Integer limit, Exchange exchange) throws Exception {
        var plan = plans.forDrop(id, limit == null ? 1000 : Math.min(limit, 100_000));
        if (plan.isEmpty()) {
            exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, 404);
            return "{\"error\":\"no drop " + id + "\"}";
        }
        return JSON.writeValueAsString(plan.get());
    }

    public String approve(@Header("id") long id, @Header("checksum") String checksum, @Header("operator") String operator,
                          Exchange exchange) throws Exception {
        var plan = plans.forDrop(id, 0);
        if (plan.isEmpty()) {
            exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, 404);
            return "{\"error\":\"no drop " + id + "\"}";
        }
        return answer(ledger.approve(id, checksum, operator == null ? "api" : operator, targetsOf.apply(plan.get().source())), exchange);
    }

    public String reject(@Header("id") long id, @Header("checksum") String checksum, @Header("operator") String operator,
                         Exchange exchange) throws Exception {
        return answer(ledger.reject(id, checksum, operator == null ? "api" : operator), exchange);
    }

    private static String answer(DropLedger.Decision decision, Exchange exchange) throws Exception {
        if (!decision.done()) {
            exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, 409);
        }
        return JSON.writeValueAsString(decision);
    }
}
