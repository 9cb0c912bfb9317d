package io.learnbridge.camel;

import io.learnbridge.mapping.MappingException;
import io.learnbridge.mapping.MappingFile;
import io.learnbridge.mapping.MappingResult;
import io.learnbridge.mapping.Mappings;
import io.learnbridge.mapping.SourceMapper;
import io.learnbridge.mapping.TargetMapper;
import io.learnbridge.drop.DropRejectedException;
import io.learnbridge.drop.DropRows;
import io.learnbridge.drop.RowBatch;
import io.learnbridge.store.Delivery;
import io.learnbridge.worker.CanonicalRecord;
import java.util.List;
import org.apache.camel.Consumer;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.support.DefaultEndpoint;
import org.apache.camel.support.DefaultProducer;

/**
 * Applies one mapping. A source mapping takes a {@link RowBatch} and gives the rows to stage; a
 * target mapping takes a claimed {@link io.learnbridge.delivery.TargetBatch} and maps each delivery in it (its
 * payload, or its rejection, settled with the batch), or takes a {@link Delivery} (or a {@link CanonicalRecord})
 * and gives the JSON payload, or throws {@link RecordRejectedException} when the record cannot be sent.
 */
final class FieldMapEndpoint extends DefaultEndpoint {

    private final Mappings mappings;
    private final String name;
    private final boolean source;
    private volatile Binding binding;

    private record Binding(List<String> header, MappingFile mapping, SourceMapper mapper) {
    }

    FieldMapEndpoint(String uri, FieldMapComponent component, Mappings mappings, String name, boolean source) {
        super(uri, component);
        this.mappings = mappings;
        this.name = name;
        this.source = source;
    }

    @Override
    public boolean isRemote() {
        return false;
    }

    @Override
    public Producer createProducer() {
        return new DefaultProducer(this) {
            @Override
            public void process(Exchange exchange) throws Exception {
                if (source) {
                    RowBatch batch = exchange.getIn().getMandatoryBody(RowBatch.class);
                    exchange.getIn().setBody(DropRows.map(mapperFor(batch), batch));
                } else if (exchange.getIn().getBody() instanceof io.learnbridge.delivery.TargetBatch batch) {
                    map(batch);
                } else {
                    exchange.getIn().setBody(payload(exchange));
                }
            }

            /** Each delivery of a claimed batch: its payload, or the mapping's rejection (settled with the batch). */
            private void map(io.learnbridge.delivery.TargetBatch batch) {
                if (batch.deliveries().isEmpty()) {
                    return;
                }
                TargetMapper target = mappings.get().target(name);
                for (Delivery delivery : batch.deliveries()) {
                    if (!batch.needsMapping(delivery)) {
                        continue;
                    }
                    MappingResult<com.fasterxml.jackson.databind.node.ObjectNode> result = target.map(CanonicalRecord.fromJson(delivery.canonical()));
                    if (result instanceof MappingResult.Rejected<com.fasterxml.jackson.databind.node.ObjectNode> rejected) {
                        batch.rejected(delivery, target.mapping().file(), rejected.rejection());
                    } else {
                        batch.mapped(delivery, ((MappingResult.Accepted<com.fasterxml.jackson.databind.node.ObjectNode>) result).value());
                    }
                }
            }

            private String payload(Exchange exchange) throws Exception {
                Object body = exchange.getIn().getBody();
                CanonicalRecord record = body instanceof Delivery d ? CanonicalRecord.fromJson(d.canonical())
                        : exchange.getIn().getMandatoryBody(CanonicalRecord.class);
                TargetMapper target = mappings.get().target(name);
                MappingResult<com.fasterxml.jackson.databind.node.ObjectNode> result = target.map(record);
                if (result instanceof MappingResult.Rejected<?> rejected) {
                    throw new RecordRejectedException(target.mapping().file() + ": " + rejected.rejection().describe(), rejected.rejection().field());
                }
                return ((MappingResult.Accepted<com.fasterxml.jackson.databind.node.ObjectNode>) result).value().toString();
            }
        };
    }

    /** Binds the source mapping to a drop's header once (batches of one drop share the list). */
    private SourceMapper mapperFor(RowBatch batch) {
        Binding b = binding;
        MappingFile mapping = mappings.get().source(name);
        if (b == null || b.header() != batch.header() || b.mapping() != mapping) {
            try {
                b = new Binding(batch.header(), mapping, SourceMapper.bindHeader(mapping, batch.header(), "the header of " + batch.fileName()));
            } catch (MappingException e) {
                throw new DropRejectedException(e.field(), e.describe());
            }
            binding = b;
        }
        return b.mapper();
    }

    @Override
    public Consumer createConsumer(Processor processor) {
        throw new UnsupportedOperationException("fieldmap endpoints only map: use them in 'to'");
    }
}
